#!/usr/bin/env bash
# Plain `quarry encode` vs the Spark job in local[1] and local[2] on the same SciFact passages, in one run.
# Usage: bench/spark-encode.sh [SCIFACT_DIR=../shared/datasets/scifact] [PASSAGES=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f quarry-spark/target/quarry-spark.jar ] || mvn -B -q install -DskipTests -pl quarry-spark -am
# Spark 4 reads JDK internals; spark-submit adds these options itself.
opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED)
exec java -Xmx4g "${opens[@]}" -cp 'quarry-spark/target/quarry-spark.jar:quarry-spark/target/lib/*' \
  dev.quarry.spark.SparkEncodeBenchmark "${1:-../shared/datasets/scifact}" "${2:-2000}"
