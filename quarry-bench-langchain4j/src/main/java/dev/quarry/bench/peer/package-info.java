/** The benchmark's peer, LangChain4j's in-process model, in a module (and JVM) of its own: it brings its own ONNX Runtime. */
package dev.quarry.bench.peer;
