package dev.quarry.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, for what java.net.http refuses to send: a forged {@code Host}
 * header, half a request, a stalled body.
 */
final class RawHttp {
  private RawHttp() {}

  /** Sends {@code request} as is (CRLFs included) and returns the whole answer as text. */
  static String exchange(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      return readAll(s.getInputStream());
    }
  }

  /** The status code of an answer from {@link #exchange}. */
  static int status(String answer) {
    return Integer.parseInt(answer.substring(9, 12));
  }

  static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        if (complete(out.toString(StandardCharsets.UTF_8))) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      // return what came
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** True once the headers and a Content-Length body have arrived (the server keeps the connection open). */
  private static boolean complete(String s) {
    int end = s.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(s.substring(0, end));
    return m.find() && s.getBytes(StandardCharsets.UTF_8).length - end - 4 >= Integer.parseInt(m.group(1));
  }

  /** True if the server closed the socket (end of stream or reset) within {@code millis}. */
  static boolean closedWithin(Socket s, int millis) throws IOException {
    s.setSoTimeout(millis);
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }
}
