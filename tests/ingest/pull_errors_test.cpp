// Pure pieces of pulled-feed supervision: error words and the retry backoff.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "ingest/backoff.hpp"
#include "ingest/source_errors.hpp"

using tessera::ingest::describeSourceError;
using tessera::ingest::retryDelay;
using namespace std::chrono_literals;

TEST_CASE("source errors in a technician's words", "[ingest][errors]") {
  struct Row {
    const char* message;
    const char* debug;
    const char* words;
  };
  // Real GStreamer 1.22 texts (rtspsrc, rtmp2src, souphttpsrc, srtsrc, filesrc, decodebin).
  const std::vector<Row> rows = {
      {"Unauthorized", "gstrtspsrc.c(6899): gst_rtspsrc_send (): Unauthorized (401)",
       "authentication failed"},
      {"Not authorized to access resource.", "", "authentication failed"},
      {"Could not open resource for reading.",
       "Failed to connect: Error connecting to 127.0.0.1:40123: Connection refused",
       "connection refused"},
      {"Could not open resource for reading and writing.",
       "Failed to connect. (Error connecting to 127.0.0.1:40123: Connection refused)",
       "connection refused"},
      {"Not Found", "Not Found (404), URL: http://127.0.0.1:8401/x.m3u8", "not found"},
      {"Resource not found.", "gstfilesrc.c: No such file \"/x.mp4\"", "not found"},
      {"Could not resolve server name.", "", "host not found"},
      {"no video stream", "every stream was exposed and none is video", "no video stream"},
      {"Connection setup failure: connection timed out", "", "timed out"},
      {"Connection setup failure: connection rejected", "reason: 8", "connection rejected"},
      {"Failed to connect: Unacceptable TLS certificate",
       "gstrtmp2src.c(971): send_connect_error (): domain g-tls-error-quark, code 2",
       "TLS certificate not trusted"},
      {"Internal data stream error.", "streaming stopped, reason not-linked (-1)",
       "source error: Internal data stream error."},
  };
  for (const Row& r : rows) {
    DYNAMIC_SECTION(r.message << " / " << r.debug) {
      CHECK(describeSourceError(r.message, r.debug) == r.words);
    }
  }
  // A port that happens to hold "401" is not an authentication failure.
  CHECK(describeSourceError("Could not open resource for reading.",
                            "Error connecting to 127.0.0.1:34017: Connection refused") ==
        "connection refused");
}

TEST_CASE("retry backoff doubles, is capped, and is jittered upwards", "[ingest][backoff]") {
  CHECK(retryDelay(0, 0.0, 500ms, 8000ms) == 500ms);
  CHECK(retryDelay(1, 0.0, 500ms, 8000ms) == 1000ms);
  CHECK(retryDelay(3, 0.0, 500ms, 8000ms) == 4000ms);
  CHECK(retryDelay(4, 0.0, 500ms, 8000ms) == 8000ms);
  CHECK(retryDelay(30, 0.0, 500ms, 8000ms) == 8000ms);
  CHECK(retryDelay(0, 0.999, 500ms, 8000ms) == 749ms);
  CHECK(retryDelay(30, 1.0, 500ms, 8000ms) == 12000ms);
  CHECK(retryDelay(-1, -3.0, 500ms, 8000ms) == 500ms);  // clamped, never below the first step
  // Fifty cameras failing together spread their reconnects over half a step.
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 50; ++i) delays.push_back(retryDelay(4, i / 50.0, 500ms, 8000ms));
  CHECK(delays.front() == 8000ms);
  CHECK(delays.back() >= 11800ms);
}
