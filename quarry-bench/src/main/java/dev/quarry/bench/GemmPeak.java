package dev.quarry.bench;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

/**
 * The machine's fp32 matrix-multiply peak, measured through ONNX Runtime's MLAS GEMM (the kernel
 * the encoders spend their time in): C = A·B for square N×N matrices, best of several runs.
 */
final class GemmPeak {
  private GemmPeak() {}

  /** Best GFLOP/s over {@code runs} products of N×N matrices on {@code threads} intra-op threads. */
  static double measure(int n, int threads, int runs) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(threads);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession session = env.createSession(matMulGraph(n), opts)) {
        float[] data = new float[n * n];
        Random r = new Random(42);
        for (int i = 0; i < data.length; i++) {
          data[i] = r.nextFloat() - 0.5f;
        }
        long[] shape = {n, n};
        try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
             OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape)) {
          double best = Double.MAX_VALUE;
          for (int i = 0; i < runs + 1; i++) {
            long t0 = System.nanoTime();
            try (OrtSession.Result res = session.run(Map.of("A", a, "B", b))) {
              double secs = (System.nanoTime() - t0) / 1e9;
              if (i > 0) {
                best = Math.min(best, secs);
              }
            }
          }
          return 2.0 * n * n * (double) n / best / 1e9;
        }
      }
    }
  }

  private static byte[] matMulGraph(int n) {
    OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
        .setShape(OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(n))
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(n)))).build();
    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("gemm")
        .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("A").setType(type))
        .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("B").setType(type))
        .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("C").setType(type))
        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput("A").addInput("B").addOutput("C"))
        .build();
    return OnnxMl.ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
        .setGraph(graph).build().toByteArray();
  }
}
