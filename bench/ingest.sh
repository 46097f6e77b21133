#!/usr/bin/env bash
# Ingest throughput of a generated folder of 10,000 mixed files (PDF, DOCX, HTML, Markdown, text, made
# from SciFact abstracts) through the path `quarry index PATH` runs, against encoding the same chunks
# alone, in one run: files/s, chunks/s, the overhead (target <= 15 %), and the peak heap.
# Usage: bench/ingest.sh [SCIFACT_DIR=../shared/datasets/scifact] [FILES=10000] [WORKDIR=temporary]
#   (after mvn -B install -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/datasets/scifact}"
files="${2:-10000}"
work="${3:-$(mktemp -d)}"
java_bin=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && java_bin=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
rm -rf "$work/index"
"$java_bin" -Xmx2g -Dai.djl.offline=true -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.IngestBenchmark "$data" "$work" "$files"
