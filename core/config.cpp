#include "core/config.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "core/files.hpp"
#include "core/pem.hpp"

namespace tessera::core {
namespace {

namespace fs = std::filesystem;

// Canvas and tile sizes must be even: I420 halves both dimensions for chroma and the H.264
// encoder refuses odd sizes.
constexpr int kMinCanvasPx = 16;
constexpr int kMaxCanvasPx = 7680;
constexpr int kMaxFps = 120;
constexpr int kMaxFeeds = 4096;
constexpr int kMinTilePx = 8;
constexpr int kMaxTilePx = 1920;
constexpr int kMaxWorkers = 1024;
constexpr double kMaxAnalysisRateHz = 30;
constexpr int kMaxSceneCells = 256;
// A photomosaic re-solves its assignment live: 64x64 cells is the most it does in real time.
constexpr int kMaxPhotomosaicCells = 4096;
constexpr double kMaxSceneSeconds = 60;
constexpr int kMaxStrokes = 8192;
// Each address's reaction times in the last minute are kept: 300 x 4096 addresses is ~10 MB.
constexpr int kMaxReactionsPerMinute = 300;
constexpr std::size_t kMaxTokenChars = 256;
constexpr std::size_t kMaxSuggestionDistance = 2;
// Tables and arrays nest at most this deep (the deepest key tessera reads is 4 levels down): the
// TOML parser's tables are freed recursively, so a table nested 50,000 deep overflowed the stack.
constexpr int kMaxNestingDepth = 32;
constexpr std::size_t kMaxNameBytes = 128;

constexpr std::pair<std::string_view, LayoutKind> kLayoutNames[] = {
    {"grid", LayoutKind::kGrid},           {"photomosaic", LayoutKind::kPhotomosaic},
    {"spotlight", LayoutKind::kSpotlight}, {"brush", LayoutKind::kBrush},
    {"shader", LayoutKind::kShader},
};

constexpr std::pair<std::string_view, I420Conversion> kI420ConversionNames[] = {
    {"auto", I420Conversion::kAuto}, {"gpu", I420Conversion::kGpu}, {"cpu", I420Conversion::kCpu}};
constexpr std::pair<std::string_view, FeedPriority> kFeedPriorityNames[] = {
    {"idle", FeedPriority::kIdle},
    {"low", FeedPriority::kLow},
};

constexpr std::pair<std::string_view, SceneScore> kSceneScoreNames[] = {
    {"motion", SceneScore::kMotion},
    {"faces", SceneScore::kFaces},
    {"brightness", SceneScore::kBrightness},
    {"sharpness", SceneScore::kSharpness},
    {"none", SceneScore::kNone},
};

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1, so "widht" is one edit from "width".
std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// A TOML basic string, so the message shows exactly what was written.
std::string tomlQuoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);
  // TOML floats always carry a fraction or exponent; show 30.0, not 30.
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// What a node holds, for "expected X, got Y" messages.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string " + tomlQuoted(node.as_string()->get());
    case toml::node_type::integer:
      return fmt::format("integer {}", node.as_integer()->get());
    case toml::node_type::floating_point:
      return "float " + formatNumber(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "boolean true" : "boolean false";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

int lineOf(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

bool isTableLike(const toml::node& node) {
  if (node.is_table()) return true;
  const toml::array* array = node.as_array();
  return array && !array->empty() && array->is_array_of_tables();
}

// How deep the document nests at most, judged from the text alone, before the TOML parser builds
// anything: table headers ([a.b.c] is 3 deep, [[a.b]] 3), dotted keys (a.b.c = 1), inline tables
// and arrays (each '{' or '[' adds the dotted key in front of it plus one). Strings and comments
// are skipped. Dots inside a value (1.5) count too: an over-estimate by a level or two, never an
// under-estimate. Returns the first line where the depth exceeds `limit`, or 0 when it never does.
int lineNestedBeyond(std::string_view text, int limit) {
  int line = 1;
  int header = 0;  // depth of the current [table]
  int dots = 0;    // dots in the current key or value run
  int nested = 0;  // sum of what the open brackets add
  std::vector<int> open;
  bool lineStart = true;
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return k < text.size() ? text[k] : '\0'; };
  // Skips the string opening at i (basic or literal, single or triple quoted); counts newlines.
  const auto skipString = [&] {
    const char q = text[i];
    const bool triple = at(i + 1) == q && at(i + 2) == q;
    i += triple ? 3 : 1;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '\\' && q == '"') {
        if (at(i + 1) == '\n') ++line;
        i += 2;
        continue;
      }
      if (c == '\n') {
        ++line;
        if (!triple) return;  // an unterminated string: the TOML parser reports it
      }
      if (c == q && (!triple || (at(i + 1) == q && at(i + 2) == q))) {
        i += triple ? 3 : 1;
        return;
      }
      ++i;
    }
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      skipString();
      lineStart = false;
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '\n') {
      ++line;
      dots = 0;
      lineStart = true;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '[' && lineStart && open.empty()) {
      // A table header: [a.b] or [[a.b]].
      const bool arrayOfTables = at(i + 1) == '[';
      i += arrayOfTables ? 2 : 1;
      int headerDots = 0;
      while (i < text.size() && text[i] != ']' && text[i] != '\n') {
        if (text[i] == '"' || text[i] == '\'') {
          skipString();
          continue;
        }
        if (text[i] == '.') ++headerDots;
        ++i;
      }
      header = headerDots + (arrayOfTables ? 2 : 1);
      if (header > limit) return line;
      lineStart = false;
      continue;
    }
    lineStart = false;
    if (c == '.') {
      if (header + nested + ++dots + 1 > limit) return line;
    } else if (c == '[' || c == '{') {
      open.push_back(dots + 1);
      nested += dots + 1;
      dots = 0;
      if (header + nested > limit) return line;
    } else if (c == ']' || c == '}') {
      if (!open.empty()) {
        nested -= open.back();
        open.pop_back();
      }
      dots = 0;
    } else if (c == ',') {
      dots = 0;
    }
    ++i;
  }
  return 0;
}

// A key as TOML writes it: bare when it can be, quoted otherwise (an empty key is `""`, which
// the reader can find in the file; an empty name would point at nothing).
std::string keyText(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == '[' || c == ']';
  });
  return bare ? std::string(key) : tomlQuoted(key);
}

std::string joinPath(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return keyText(key);
  return fmt::format("{}.{}", prefix, keyText(key));
}

// Walks one document, collecting every problem instead of stopping at the first.
class Parser {
 public:
  Parser(std::string fileName, fs::path baseDir)
      : mFileName(std::move(fileName)), mBaseDir(std::move(baseDir)) {}

  void problem(int line, std::string key, std::string message) {
    mProblems.push_back({mFileName, line, std::move(key), std::move(message)});
  }

  std::vector<ConfigProblem> takeProblems() {
    // toml++ keeps keys sorted by name; report in the order the author reads the file.
    std::stable_sort(
        mProblems.begin(), mProblems.end(),
        [](const ConfigProblem& a, const ConfigProblem& b) { return a.line < b.line; });
    return std::move(mProblems);
  }

  // Paths in the file are relative to the file itself, wherever the server was started from.
  fs::path resolve(std::string_view written) const {
    return (mBaseDir / fs::path(written)).lexically_normal();
  }

 private:
  std::string mFileName;
  fs::path mBaseDir;
  std::vector<ConfigProblem> mProblems;
};

// One table of the document with the keys it may hold. Unknown keys are reported on
// construction; each read* call reports wrong types and bad values and leaves `out` untouched
// unless the value is valid, so defaults stay in place.
class Section {
 public:
  Section(Parser& parser, const toml::table& table, std::string path,
          std::initializer_list<std::string_view> known)
      : mParser(parser), mTable(table), mPath(std::move(path)) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      std::string message = isTableLike(node) ? "unknown table" : "unknown key";
      std::string_view best;
      std::size_t bestDistance = kMaxSuggestionDistance + 1;
      for (const std::string_view candidate : known) {
        const std::size_t d = editDistance(name, candidate);
        if (d < bestDistance) {
          bestDistance = d;
          best = candidate;
        }
      }
      if (!best.empty()) message += fmt::format(" (did you mean {}?)", tomlQuoted(best));
      mParser.problem(lineOf(node), keyPath(name), std::move(message));
    }
  }

  std::string keyPath(std::string_view key) const { return joinPath(mPath, key); }
  int line() const { return lineOf(mTable); }
  const toml::node* find(std::string_view key) const { return mTable.get(key); }

  void problem(const toml::node& node, std::string_view key, std::string message) {
    mParser.problem(lineOf(node), keyPath(key), std::move(message));
  }
  void missing(std::string_view key, std::string_view why = {}) {
    std::string message = "missing required key";
    if (!why.empty()) message += fmt::format(" ({})", why);
    mParser.problem(line(), keyPath(key), std::move(message));
  }

  // An integer in lo..hi; `even` also asks for an even number.
  bool readInt(std::string_view key, int& out, int lo, int hi, bool even = false) {
    const toml::node* node = find(key);
    if (!node) return false;
    const auto* value = node->as_integer();
    if (!value) {
      problem(*node, key, "expected an integer, got " + describe(*node));
      return false;
    }
    const std::int64_t v = value->get();
    if (v < lo || v > hi) {
      problem(*node, key, fmt::format("expected an integer in {}..{}, got {}", lo, hi, v));
      return false;
    }
    if (even && v % 2 != 0) {
      problem(*node, key, fmt::format("expected an even number, got {}", v));
      return false;
    }
    out = static_cast<int>(v);
    return true;
  }

  // "auto" (leaves `out` empty) or a number for which `accept` holds.
  template <typename Accept>
  void readAutoOrNumber(std::string_view key, std::optional<double>& out, std::string_view range,
                        Accept accept) {
    const toml::node* node = find(key);
    if (!node) return;
    if (const auto* text = node->as_string()) {
      if (text->get() != "auto") {
        problem(*node, key,
                fmt::format("expected \"auto\" or a number {}, got {}", range,
                            tomlQuoted(text->get())));
      }
      return;
    }
    double v = 0;
    if (readNumber(key, v, fmt::format("{} (or \"auto\")", range), accept)) out = v;
  }

  // A number (integer or float) for which `accept` holds; `range` describes it for messages.
  template <typename Accept>
  bool readNumber(std::string_view key, double& out, std::string_view range, Accept accept) {
    const toml::node* node = find(key);
    if (!node) return false;
    double v = 0;
    std::string written;  // as the author wrote it: 0 stays 0, not 0.0
    if (const auto* f = node->as_floating_point()) {
      v = f->get();
      written = formatNumber(v);
    } else if (const auto* i = node->as_integer()) {
      v = static_cast<double>(i->get());
      written = std::to_string(i->get());
    } else {
      problem(*node, key, "expected a number, got " + describe(*node));
      return false;
    }
    if (!accept(v)) {
      problem(*node, key, fmt::format("expected a number {}, got {}", range, written));
      return false;
    }
    out = v;
    return true;
  }

  bool readBool(std::string_view key, bool& out) {
    const toml::node* node = find(key);
    if (!node) return false;
    const auto* value = node->as_boolean();
    if (!value) {
      problem(*node, key, "expected a boolean (true or false), got " + describe(*node));
      return false;
    }
    out = value->get();
    return true;
  }

  // A non-empty string.
  bool readString(std::string_view key, std::string& out) {
    const toml::node* node = find(key);
    if (!node) return false;
    const auto* value = node->as_string();
    if (!value) {
      problem(*node, key, "expected a string, got " + describe(*node));
      return false;
    }
    if (value->get().empty()) {
      problem(*node, key, "expected a non-empty string");
      return false;
    }
    out = value->get();
    return true;
  }

  bool readString(std::string_view key, std::optional<std::string>& out) {
    std::string value;
    if (!readString(key, value)) return false;
    out = std::move(value);
    return true;
  }

  // A secret that rides in links (?t=), a cookie and an Authorization header: 1..kMaxTokenChars
  // of the characters a URL carries unescaped. The message names the offending character, never
  // the secret.
  bool readToken(std::string_view key, std::optional<std::string>& out) {
    std::string value;
    if (!readString(key, value)) return false;
    if (value.size() > kMaxTokenChars) {
      problem(*find(key), key,
              fmt::format("expected at most {} characters, got {}", kMaxTokenChars, value.size()));
      return false;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(value[i]);
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (alnum || c == '-' || c == '.' || c == '_' || c == '~') continue;
      problem(*find(key), key,
              fmt::format("expected only letters, digits, '-', '.', '_' and '~' (it rides in "
                          "links and a cookie), got character {} at position {}",
                          c >= 0x21 && c < 0x7f ? fmt::format("'{}'", static_cast<char>(c))
                                                : fmt::format("0x{:02x}", c),
                          i + 1));
      return false;
    }
    out = std::move(value);
    return true;
  }

  template <typename Enum, std::size_t N>
  bool readEnum(std::string_view key, Enum& out,
                const std::pair<std::string_view, Enum> (&names)[N]) {
    std::string value;
    if (!readString(key, value)) return false;
    for (const auto& [name, e] : names) {
      if (name == value) {
        out = e;
        return true;
      }
    }
    std::string expected;
    for (const auto& [name, e] : names) {
      if (!expected.empty()) expected += ", ";
      expected += name;
    }
    problem(*find(key), key,
            fmt::format("unknown value {} (expected one of: {})", tomlQuoted(value), expected));
    return false;
  }

  // An array of non-empty strings.
  bool readStringArray(std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = find(key);
    if (!node) return false;
    const toml::array* array = node->as_array();
    if (!array) {
      problem(*node, key, "expected an array of strings, got " + describe(*node));
      return false;
    }
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto* value = array->get(i)->as_string();
      if (!value || value->get().empty()) {
        problem(*array->get(i), fmt::format("{}[{}]", key, i),
                "expected a non-empty string, got " + describe(*array->get(i)));
        return false;
      }
      values.push_back(value->get());
    }
    out = std::move(values);
    return true;
  }

  // An array of integers in lo..hi (each even when asked).
  bool readIntArray(std::string_view key, std::vector<int>& out, int lo, int hi, bool even) {
    const toml::node* node = find(key);
    if (!node) return false;
    const toml::array* array = node->as_array();
    if (!array) {
      problem(*node, key, "expected an array of integers, got " + describe(*node));
      return false;
    }
    std::vector<int> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto* value = array->get(i)->as_integer();
      const std::string where = fmt::format("{}[{}]", key, i);
      if (!value) {
        problem(*array->get(i), where, "expected an integer, got " + describe(*array->get(i)));
        return false;
      }
      const std::int64_t v = value->get();
      if (v < lo || v > hi || (even && v % 2 != 0)) {
        problem(
            *array->get(i), where,
            fmt::format("expected an {}integer in {}..{}, got {}", even ? "even " : "", lo, hi, v));
        return false;
      }
      values.push_back(static_cast<int>(v));
    }
    out = std::move(values);
    return true;
  }

  // A sub-table, or null when absent or not a table (reported).
  const toml::table* table(std::string_view key) {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    const toml::table* t = node->as_table();
    if (!t) problem(*node, key, "expected a table, got " + describe(*node));
    return t;
  }

  // An array of tables ([[key]] sections, or `key = []`); null when absent or of the wrong
  // shape (reported).
  const toml::array* tableArray(std::string_view key) {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    const toml::array* array = node->as_array();
    if (!array || (!array->empty() && !array->is_array_of_tables())) {
      problem(*node, key,
              fmt::format("expected an array of tables ([[{}]]), got {}", keyPath(key),
                          describe(*node)));
      return nullptr;
    }
    return array;
  }

 private:
  Parser& mParser;
  const toml::table& mTable;
  std::string mPath;
};

void readInstallation(Parser& parser, const toml::table& t, InstallationConfig& out) {
  Section s(parser, t, "installation", {"name"});
  std::string name;
  if (!s.readString("name", name)) return;
  // Any text is a name (it is shown, and reaches paths only through core::safeFileName), but not
  // an unbounded one, nor one with control characters that would garble the log and pages.
  if (name.size() > kMaxNameBytes) {
    s.problem(*s.find("name"), "name",
              fmt::format("{} bytes is longer than the {} allowed", name.size(), kMaxNameBytes));
  } else if (std::any_of(name.begin(), name.end(), [](char c) {
               return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
             })) {
    s.problem(*s.find("name"), "name", "expected no control characters, got " + tomlQuoted(name));
  } else {
    out.name = std::move(name);
  }
}

void readCanvas(Parser& parser, const toml::table& t, CanvasConfig& out) {
  Section s(parser, t, "canvas", {"width", "height", "fps"});
  s.readInt("width", out.width, kMinCanvasPx, kMaxCanvasPx, /*even=*/true);
  s.readInt("height", out.height, kMinCanvasPx, kMaxCanvasPx, /*even=*/true);
  s.readInt("fps", out.fps, 1, kMaxFps);
}

void readTls(Parser& parser, Section& http, HttpConfig& out) {
  const toml::node* node = http.find("tls");
  if (!node) return;
  constexpr std::string_view kExpected =
      R"("off", "auto" or a table { cert = "...", key = "..." })";
  if (const auto* str = node->as_string()) {
    const std::string& v = str->get();
    if (v == "off" || v == "auto") {
      out.tls = v;
    } else {
      http.problem(*node, "tls",
                   fmt::format("unknown value {} (expected one of: {})", tomlQuoted(v), kExpected));
    }
    return;
  }
  const toml::table* table = node->as_table();
  if (!table) {
    http.problem(*node, "tls", fmt::format("expected {}, got {}", kExpected, describe(*node)));
    return;
  }
  Section s(parser, *table, http.keyPath("tls"), {"cert", "key"});
  std::string cert;
  std::string key;
  const bool haveCert = s.readString("cert", cert);
  const bool haveKey = s.readString("key", key);
  if (!s.find("cert")) s.missing("cert");
  if (!s.find("key")) s.missing("key");
  bool filesOk = haveCert && haveKey;
  for (const auto& [name, written] : {std::pair{"cert", &cert}, std::pair{"key", &key}}) {
    if (written->empty()) continue;
    if (auto problem = regularFileProblem(parser.resolve(*written), kMaxCertificateFileBytes)) {
      s.problem(*s.find(name), name, *problem);
      filesOk = false;
    }
  }
  if (filesOk) out.tls = TlsFiles{parser.resolve(cert), parser.resolve(key)};
}

// Each open connection is a descriptor: the caps stay well under the raised open-file limit.
constexpr int kMaxHttpConnections = 16384;

void readConnectionLimits(Section& s, HttpConfig& out) {
  s.readInt("max_connections", out.maxConnections, 16, kMaxHttpConnections);
  if (s.readInt("max_connections_per_address", out.maxConnectionsPerAddress, 1,
                kMaxHttpConnections) &&
      out.maxConnectionsPerAddress > out.maxConnections) {
    s.problem(*s.find("max_connections_per_address"), "max_connections_per_address",
              fmt::format("{} is more than max_connections ({})", out.maxConnectionsPerAddress,
                          out.maxConnections));
  }
}

void readHttp(Parser& parser, const toml::table& t, HttpConfig& out) {
  Section s(parser, t, "http",
            {"listen", "tls", "admin_token", "viewer_token", "public_url", "max_connections",
             "max_connections_per_address"});
  std::string listen;
  if (s.readString("listen", listen)) {
    if (parseListenAddress(listen)) {
      out.listen = listen;
    } else {
      s.problem(*s.find("listen"), "listen",
                fmt::format("expected \"IP:PORT\" (an IPv4 address or a bracketed IPv6 one, not "
                            "a host name; PORT 0..65535), got {}",
                            tomlQuoted(listen)));
    }
  }
  readTls(parser, s, out);
  s.readString("admin_token", out.adminToken);
  s.readToken("viewer_token", out.viewerToken);
  readConnectionLimits(s, out);
  std::string url;
  if (s.readString("public_url", url)) {
    if (urlHost(url)) {
      out.publicUrl = url;
    } else {
      s.problem(*s.find("public_url"), "public_url",
                fmt::format("expected a URL like \"https://host:port\" (host: letters, digits, "
                            "'-' and '.', or an IP address), got {}",
                            tomlQuoted(url)));
    }
  }
}

// Host names compare without case ("Cam.local" is "cam.local").
bool sameHostName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// tls_ca_file and tls_verify: only for a TLS scheme; the CA file a readable list of PEM
// certificates (no private key); and not both (tls_verify = false would ignore the file).
void readPullTls(Parser& parser, Section& s, PullConfig& out) {
  std::string caFile;
  const bool haveCa = s.readString("tls_ca_file", caFile);
  const bool haveVerify = s.readBool("tls_verify", out.tlsVerify);
  const bool knownScheme = !out.target.scheme.empty();
  for (const char* key : {"tls_ca_file", "tls_verify"}) {
    if (knownScheme && !out.target.tls() && s.find(key)) {
      s.problem(*s.find(key), key,
                "only TLS sources check a certificate (rtsps://, rtmps://, https://)");
      return;
    }
  }
  if (haveCa && haveVerify && !out.tlsVerify) {
    s.problem(*s.find("tls_verify"), "tls_verify",
              "tls_verify = false accepts any certificate, so tls_ca_file would be ignored: "
              "keep one of them");
    return;
  }
  if (!haveCa) return;
  const std::filesystem::path file = parser.resolve(caFile);
  std::string error;
  const std::optional<std::string> pem = readRegularFile(file, kMaxCertificateFileBytes, &error);
  if (pem) {
    if (auto problem = pemCertificatesProblem(*pem)) {
      error = fmt::format("{}: {}", file.string(), *problem);
    } else {
      out.tlsCaFile = file;
      return;
    }
  }
  s.problem(*s.find("tls_ca_file"), "tls_ca_file", error);
}

void readPull(Parser& parser, const toml::table& t, std::string path, PullConfig& out) {
  Section s(parser, t, std::move(path),
            {"uri", "loop", "offset_ms", "connect_timeout_s", "stall_timeout_s", "latency_ms",
             "tls_ca_file", "tls_verify"});
  if (s.readString("uri", out.uri)) {
    std::string error;
    if (auto target = parsePullUri(out.uri, &error)) {
      out.target = std::move(*target);
      out.timeouts = out.target.defaultTimeouts();
    } else {
      // The message never repeats the URI: it may hold a password.
      s.problem(*s.find("uri"), "uri", error);
    }
  } else if (!s.find("uri")) {
    s.missing("uri");
  }
  s.readBool("loop", out.loop);
  s.readNumber("offset_ms", out.offsetMs, "in -10000..10000",
               [](double x) { return x >= -10000 && x <= 10000; });
  s.readNumber("connect_timeout_s", out.timeouts.connectS, "of seconds in 0..3600 (0 = no limit)",
               [](double x) { return x == 0 || (x >= 0.5 && x <= 3600); });
  s.readNumber("stall_timeout_s", out.timeouts.stallS, "of seconds in 0.5..3600",
               [](double x) { return x >= 0.5 && x <= 3600; });
  if (s.readInt("latency_ms", out.timeouts.latencyMs, 0, 10000)) {
    const PullKind kind = out.target.kind;
    if (kind != PullKind::kRtsp && kind != PullKind::kSrt) {
      s.problem(*s.find("latency_ms"), "latency_ms",
                "only RTSP and SRT sources have a latency (rtsp://, srt://)");
    }
  }
  readPullTls(parser, s, out);
}

void readSync(Parser& parser, const toml::table& t, SyncConfig& out) {
  Section s(parser, t, "sync", {"enabled", "delay_ms", "max_delay_ms"});
  s.readBool("enabled", out.enabled);
  s.readNumber("max_delay_ms", out.maxDelayMs, "in 0..10000",
               [](double x) { return x >= 0 && x <= 10000; });
  s.readAutoOrNumber("delay_ms", out.delayMs, "of milliseconds in 0..10000",
                     [](double x) { return x >= 0 && x <= 10000; });
  if (out.delayMs && *out.delayMs > out.maxDelayMs) {
    s.problem(
        *s.find("delay_ms"), "delay_ms",
        fmt::format("expected at most max_delay_ms ({}), got {}", out.maxDelayMs, *out.delayMs));
  }
}

void readReactions(Parser& parser, const toml::table& t, ReactionsConfig& out) {
  Section s(parser, t, "reactions", {"enabled", "overlay", "per_address_per_minute"});
  s.readBool("enabled", out.enabled);
  s.readBool("overlay", out.overlay);
  s.readInt("per_address_per_minute", out.perAddressPerMinute, 1, kMaxReactionsPerMinute);
}

// "IP:PORT" for [osc] listen and send; send targets need a port.
std::optional<ListenAddress> oscAddress(Section& s, const toml::node& node, std::string_view key,
                                        std::string_view text, bool portZeroOk) {
  auto address = parseListenAddress(text);
  if (address && (portZeroOk || address->port > 0)) return address;
  s.problem(node, key,
            fmt::format("expected \"IP:PORT\" (an IPv4 address or a bracketed IPv6 one, not a host "
                        "name; PORT {}..65535), got {}",
                        portZeroOk ? 0 : 1, tomlQuoted(text)));
  return std::nullopt;
}

void readOsc(Parser& parser, const toml::table& t, OscConfig& out) {
  Section s(parser, t, "osc", {"listen", "send", "rate_hz", "allow"});
  out.enabled = true;
  std::string listen;
  if (s.readString("listen", listen))
    out.listen = oscAddress(s, *s.find("listen"), "listen", listen, true);
  std::vector<std::string> send;
  if (s.readStringArray("send", send)) {
    const toml::array& array = *s.find("send")->as_array();
    if (send.size() > kMaxOscTargets) {
      s.problem(array, "send",
                fmt::format("at most {} targets, got {}", kMaxOscTargets, send.size()));
    }
    for (std::size_t i = 0; i < send.size() && i < kMaxOscTargets; ++i) {
      if (auto a = oscAddress(s, *array.get(i), fmt::format("send[{}]", i), send[i], false)) {
        out.send.push_back(std::move(*a));
      }
    }
  }
  s.readNumber("rate_hz", out.rateHz, "of bundles per second in 0.1..100",
               [](double x) { return x >= 0.1 && x <= 100; });
  std::vector<std::string> allow;
  if (s.readStringArray("allow", allow)) {
    const toml::array& array = *s.find("allow")->as_array();
    if (allow.size() > kMaxOscAllowed) {
      s.problem(array, "allow",
                fmt::format("at most {} addresses, got {}", kMaxOscAllowed, allow.size()));
    }
    for (std::size_t i = 0; i < allow.size() && i < kMaxOscAllowed; ++i) {
      in_addr v4{};
      in6_addr v6{};
      if (inet_pton(AF_INET, allow[i].c_str(), &v4) == 1 ||
          inet_pton(AF_INET6, allow[i].c_str(), &v6) == 1) {
        out.allow.push_back(allow[i]);
      } else {
        s.problem(*array.get(i), fmt::format("allow[{}]", i),
                  fmt::format("expected an IP address such as \"127.0.0.1\" or \"::1\" (no "
                              "host names, no ranges), got {}",
                              tomlQuoted(allow[i])));
      }
    }
  }
}

void readIngest(Parser& parser, const toml::table& t, IngestConfig& out) {
  Section s(parser, t, "ingest",
            {"max_feeds", "tile_width", "tile_height", "scale_to_drawn", "feed_priority",
             "synthetic", "whip", "pull"});
  s.readInt("max_feeds", out.maxFeeds, 1, kMaxFeeds);
  s.readEnum("feed_priority", out.feedPriority, kFeedPriorityNames);
  s.readInt("tile_width", out.tileWidth, kMinTilePx, kMaxTilePx, /*even=*/true);
  s.readInt("tile_height", out.tileHeight, kMinTilePx, kMaxTilePx, /*even=*/true);
  s.readBool("scale_to_drawn", out.scaleToDrawn);
  if (const toml::table* synthetic = s.table("synthetic")) {
    Section ss(parser, *synthetic, "ingest.synthetic", {"count"});
    ss.readInt("count", out.synthetic.count, 0, kMaxFeeds);
  }
  if (const toml::table* whip = s.table("whip")) {
    Section ws(
        parser, *whip, "ingest.whip",
        {"enabled", "token", "consent", "ice_addresses", "ice_servers", "udp_port_min",
         "udp_port_max", "silence_timeout_s", "posts_per_minute", "approval", "ban_by_address"});
    ws.readBool("enabled", out.whip.enabled);
    ws.readString("token", out.whip.token);
    ws.readString("consent", out.whip.consent);
    ws.readStringArray("ice_addresses", out.whip.iceAddresses);
    if (ws.readStringArray("ice_servers", out.whip.iceServers)) {
      for (const auto& url : out.whip.iceServers) {
        if (url.rfind("stun:", 0) != 0 && url.rfind("turn:", 0) != 0 &&
            url.rfind("turns:", 0) != 0) {
          ws.problem(*ws.find("ice_servers"), "ice_servers",
                     fmt::format("{} is not a stun:, turn: or turns: URL", tomlQuoted(url)));
        }
      }
    }
    ws.readInt("udp_port_min", out.whip.udpPortMin, 0, 65535);
    ws.readInt("udp_port_max", out.whip.udpPortMax, 0, 65535);
    if (out.whip.udpPortMax < out.whip.udpPortMin) {
      ws.problem(*ws.find("udp_port_max"), "udp_port_max",
                 fmt::format("expected udp_port_max >= udp_port_min ({}), got {}",
                             out.whip.udpPortMin, out.whip.udpPortMax));
    }
    ws.readInt("silence_timeout_s", out.whip.silenceTimeoutSeconds, 1, 3600);
    ws.readInt("posts_per_minute", out.whip.postsPerMinute, 1, 100000);
    ws.readBool("approval", out.whip.approval);
    ws.readBool("ban_by_address", out.whip.banByAddress);
  }
  if (const toml::array* pulls = s.tableArray("pull")) {
    for (std::size_t i = 0; i < pulls->size(); ++i) {
      PullConfig pull;
      const toml::table& table = *pulls->get(i)->as_table();
      readPull(parser, table, fmt::format("ingest.pull[{}]", i), pull);
      // Two SRT listeners cannot bind one port: the second would fail at every attempt.
      for (std::size_t j = 0; j < out.pulls.size() && pull.target.listener; ++j) {
        if (out.pulls[j].target.listener && out.pulls[j].target.port == pull.target.port) {
          parser.problem(
              lineOf(table.get("uri") ? *table.get("uri") : table),
              fmt::format("ingest.pull[{}].uri", i),
              fmt::format("listens on port {} like ingest.pull[{}]", pull.target.port, j));
          break;
        }
      }
      // Trust is per server (host:port): rtmp2src and the HLS demuxers' own downloads are told
      // it through one process-wide TLS database, so two settings for one server cannot hold.
      for (std::size_t j = 0; j < out.pulls.size() && pull.target.tls(); ++j) {
        const PullConfig& other = out.pulls[j];
        if (other.target.tls() && sameHostName(other.target.host, pull.target.host) &&
            other.target.port == pull.target.port &&
            (other.tlsCaFile != pull.tlsCaFile || other.tlsVerify != pull.tlsVerify)) {
          parser.problem(
              lineOf(table.get("uri") ? *table.get("uri") : table),
              fmt::format("ingest.pull[{}].uri", i),
              fmt::format("{}:{} is also pulled by ingest.pull[{}] with other TLS settings "
                          "(tls_ca_file, tls_verify): a server is trusted one way",
                          pull.target.host, pull.target.port, j));
          break;
        }
      }
      out.pulls.push_back(std::move(pull));
    }
  }
  // The feeds the file itself starts must fit: the server would refuse the rest one by one.
  const std::size_t configured = static_cast<std::size_t>(out.synthetic.count) + out.pulls.size();
  if (configured > static_cast<std::size_t>(out.maxFeeds)) {
    const toml::table* synthetic = s.find("synthetic") ? s.find("synthetic")->as_table() : nullptr;
    const toml::node* count = synthetic ? synthetic->get("count") : nullptr;
    const toml::node* where = count ? count : s.find("pull") ? s.find("pull") : s.find("max_feeds");
    parser.problem(lineOf(where ? *where : static_cast<const toml::node&>(t)),
                   count ? "ingest.synthetic.count" : "ingest.pull",
                   fmt::format("{} synthetic and {} pulled feeds are more than max_feeds ({})",
                               out.synthetic.count, out.pulls.size(), out.maxFeeds));
  }
}

bool isZ85Key(std::string_view key) {
  static constexpr std::string_view kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 && key.find_first_not_of(kZ85) == std::string_view::npos;
}

// "tcp://HOST:PORT" (PORT 1..65535 or "*"); the host, or nullopt when malformed.
std::optional<std::string> tcpEndpointHost(std::string_view endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return std::nullopt;
  const std::string_view rest = endpoint.substr(6);
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view port = rest.substr(colon + 1);
  if (port != "*") {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    const int n = std::stoi(std::string(port));
    if (n < 1 || n > 65535) return std::nullopt;
  }
  return std::string(rest.substr(0, colon));
}

void readAnalysis(Parser& parser, const toml::table& t, AnalysisConfig& out) {
  Section s(
      parser, t, "analysis",
      {"workers", "rate_hz", "faces_hz", "endpoint", "curve_secret_key", "curve_client_keys"});
  if (const toml::node* node = s.find("workers")) {
    const std::string expected = fmt::format("\"auto\" or an integer in 0..{}", kMaxWorkers);
    if (const auto* str = node->as_string(); str && str->get() == "auto") {
      out.workers = -1;
    } else if (const auto* i = node->as_integer()) {
      if (i->get() >= 0 && i->get() <= kMaxWorkers) {
        out.workers = static_cast<int>(i->get());
      } else {
        s.problem(*node, "workers", fmt::format("expected {}, got {}", expected, i->get()));
      }
    } else {
      s.problem(*node, "workers", fmt::format("expected {}, got {}", expected, describe(*node)));
    }
  }
  s.readNumber("rate_hz", out.rateHz, fmt::format("> 0 and <= {}", kMaxAnalysisRateHz),
               [](double v) { return v > 0 && v <= kMaxAnalysisRateHz; });
  s.readNumber("faces_hz", out.facesHz, fmt::format(">= 0 and <= {}", kMaxAnalysisRateHz),
               [](double v) { return v >= 0 && v <= kMaxAnalysisRateHz; });
  std::optional<std::string> host;
  if (s.readString("endpoint", out.endpoint)) {
    host = tcpEndpointHost(*out.endpoint);
    if (!host) {
      s.problem(*s.find("endpoint"), "endpoint",
                fmt::format("expected \"tcp://HOST:PORT\" (PORT 1..65535 or *), got {}",
                            tomlQuoted(*out.endpoint)));
      out.endpoint.reset();
    }
  }
  if (s.readString("curve_secret_key", out.curveSecretKey) && !isZ85Key(*out.curveSecretKey)) {
    // The key itself is a secret: never repeated in a message.
    s.problem(*s.find("curve_secret_key"), "curve_secret_key",
              "expected a Z85 CURVE key (40 characters; `tessera worker --keygen` makes one)");
    out.curveSecretKey.reset();
  }
  if (s.readStringArray("curve_client_keys", out.curveClientKeys)) {
    for (std::size_t i = 0; i < out.curveClientKeys.size(); ++i) {
      if (!isZ85Key(out.curveClientKeys[i])) {
        s.problem(*s.find("curve_client_keys"), fmt::format("curve_client_keys[{}]", i),
                  fmt::format("expected a Z85 CURVE public key (40 characters), got {}",
                              tomlQuoted(out.curveClientKeys[i])));
      }
    }
  }
  const bool curve = s.find("curve_secret_key") || s.find("curve_client_keys");
  if (curve && !s.find("endpoint")) {
    s.problem(*s.find(s.find("curve_secret_key") ? "curve_secret_key" : "curve_client_keys"),
              s.find("curve_secret_key") ? "curve_secret_key" : "curve_client_keys",
              "only used with analysis.endpoint (local workers need no keys)");
  }
  if (curve && !(s.find("curve_secret_key") && s.find("curve_client_keys"))) {
    s.missing(s.find("curve_secret_key") ? "curve_client_keys" : "curve_secret_key",
              "CURVE needs the server's secret key and the workers' public keys");
  }
  // Loopback too: any local process, of any user, can reach a loopback port.
  if (host && !curve) {
    s.problem(*s.find("endpoint"), "endpoint",
              fmt::format("workers connecting to {} must authenticate (loopback too: any local "
                          "process can reach it); set curve_secret_key and curve_client_keys",
                          tomlQuoted(*host)));
  }
}

void readScene(Parser& parser, const toml::table& t, std::string path, SceneConfig& out) {
  Section s(parser, t, std::move(path),
            {"name",
             "layout",
             "target",
             "columns",
             "rows",
             "tint",
             "fade_seconds",
             "glide_seconds",
             "hysteresis",
             "reuse",
             "score",
             "emphasis",
             "pinned",
             "pinned_share",
             "strokes",
             "stroke_size",
             "stroke_fade_seconds",
             "flow_speed",
             "flow_scale",
             "shader",
             "filters",
             "params",
             "shader_scale"});
  out.line = s.line();
  if (!s.readString("name", out.name) && !s.find("name")) s.missing("name");
  const bool layoutOk = s.readEnum("layout", out.layout, kLayoutNames);
  // A file the scene names (target, shaders), resolved against the installation file: it must
  // exist and not be a directory. `notFound` opens the message for a missing one.
  auto existingFile = [&](const std::string& written, std::string_view key, const toml::node& node,
                          std::string_view notFound, std::string_view kind,
                          std::size_t maxBytes) -> std::optional<fs::path> {
    const fs::path resolved = parser.resolve(written);
    std::error_code ec;
    const fs::file_status status = fs::status(resolved, ec);
    if (!fs::exists(status)) {
      s.problem(
          node, key,
          fmt::format("{}: {} (looked for {})", notFound, tomlQuoted(written), resolved.string()));
      return std::nullopt;
    }
    if (fs::is_directory(status)) {
      s.problem(node, key,
                fmt::format("expected {} file, got a directory: {}", kind, resolved.string()));
      return std::nullopt;
    }
    // Only regular files of a bounded size are ever read (not /dev/zero, a FIFO, ...).
    if (auto problem = regularFileProblem(resolved, maxBytes)) {
      s.problem(node, key, fmt::format("expected {} file: {}", kind, *problem));
      return std::nullopt;
    }
    return resolved;
  };
  std::string target;
  if (s.readString("target", target)) {
    out.target = existingFile(target, "target", *s.find("target"), "file not found", "an image",
                              kMaxImageFileBytes);
  } else if (!s.find("target") && layoutOk && out.layout == LayoutKind::kPhotomosaic) {
    s.missing("target", "layout \"photomosaic\" needs a target image");
  }
  s.readInt("columns", out.columns, 1, kMaxSceneCells);
  s.readInt("rows", out.rows, 1, kMaxSceneCells);
  s.readNumber("tint", out.tint, "in 0..1", [](double v) { return v >= 0 && v <= 1; });
  if (layoutOk && out.layout == LayoutKind::kPhotomosaic &&
      out.columns * out.rows > kMaxPhotomosaicCells) {
    const std::string_view key = s.find("columns") || !s.find("rows") ? "columns" : "rows";
    const toml::node* node = s.find(key);
    s.problem(node ? *node : static_cast<const toml::node&>(t), key,
              fmt::format("a photomosaic of {} x {} = {} cells is more than the {} it can match "
                          "live (lower columns or rows)",
                          out.columns, out.rows, out.columns * out.rows, kMaxPhotomosaicCells));
  }
  const auto seconds = fmt::format("in 0..{}", kMaxSceneSeconds);
  const auto inSeconds = [](double v) { return v >= 0 && v <= kMaxSceneSeconds; };
  s.readNumber("fade_seconds", out.fadeSeconds, seconds, inSeconds);
  s.readNumber("glide_seconds", out.glideSeconds, seconds, inSeconds);
  s.readNumber("hysteresis", out.hysteresis, "in 0..100",
               [](double v) { return v >= 0 && v <= 100; });
  s.readNumber("reuse", out.reuse, "in 1..100", [](double v) { return v >= 1 && v <= 100; });
  s.readEnum("score", out.score, kSceneScoreNames);
  s.readNumber("emphasis", out.emphasis, "in 0..100", [](double v) { return v >= 0 && v <= 100; });
  int pinned = 0;
  if (s.readInt("pinned", pinned, 1, std::numeric_limits<int>::max())) {
    out.pinned = static_cast<std::uint32_t>(pinned);
  }
  s.readNumber("pinned_share", out.pinnedShare, "> 0 and < 1",
               [](double v) { return v > 0 && v < 1; });
  s.readInt("strokes", out.strokes, 1, kMaxStrokes);
  s.readNumber("stroke_size", out.strokeSize, "in 1..1000",
               [](double v) { return v >= 1 && v <= 1000; });
  s.readNumber("stroke_fade_seconds", out.strokeFadeSeconds, "> 0 and <= 600",
               [](double v) { return v > 0 && v <= 600; });
  s.readNumber("flow_speed", out.flowSpeed, "in 0..10000",
               [](double v) { return v >= 0 && v <= 10000; });
  s.readNumber("flow_scale", out.flowScale, "in 1..100000",
               [](double v) { return v >= 1 && v <= 100000; });

  // Shaders: files must exist; whether they compile is `tessera check`'s and the renderer's.
  auto shaderFile = [&](const std::string& written, std::string_view key, const toml::node& node) {
    return existingFile(written, key, node, "shader not found", "a shader", kMaxShaderFileBytes);
  };
  std::string shader;
  if (s.readString("shader", shader)) {
    if (layoutOk && out.layout != LayoutKind::kShader) {
      s.problem(*s.find("shader"), "shader",
                "only used with layout = \"shader\" (other layouts take `filters`)");
    } else {
      out.shader = shaderFile(shader, "shader", *s.find("shader"));
    }
  }

  std::vector<std::string> filters;
  if (s.readStringArray("filters", filters)) {
    const auto* array = s.find("filters")->as_array();
    for (std::size_t i = 0; i < filters.size(); ++i) {
      if (auto f = shaderFile(filters[i], fmt::format("filters[{}]", i), *array->get(i))) {
        out.filters.push_back(*f);
      }
    }
  }
  s.readAutoOrNumber("shader_scale", out.shaderScale, "in 0.25..1",
                     [](double x) { return x >= 0.25 && x <= 1; });
  if (const toml::table* params = s.table("params")) {
    for (const auto& [key, node] : *params) {
      SceneConfig::Param p;
      p.name = std::string(key.str());
      p.line = lineOf(node);
      const std::string where = fmt::format("params.{}", p.name);
      if (auto b = node.as_boolean()) {
        p.numbers = {b->get() ? 1.0 : 0.0};
      } else if (node.is_number()) {
        p.numbers = {node.value<double>().value_or(0)};
        if (!std::isfinite(p.numbers[0])) {
          s.problem(node, where, "expected a finite number, got " + describe(node));
          continue;
        }
      } else if (auto str = node.as_string()) {
        p.text = str->get();
      } else if (auto array = node.as_array();
                 array && array->size() >= 2 && array->size() <= 4 &&
                 std::all_of(array->begin(), array->end(),
                             [](const toml::node& e) { return e.is_number(); })) {
        for (const auto& e : *array) p.numbers.push_back(e.value<double>().value_or(0));
        if (!std::all_of(p.numbers.begin(), p.numbers.end(),
                         [](double v) { return std::isfinite(v); })) {
          s.problem(node, where, "expected finite numbers (no inf or nan)");
          continue;
        }
      } else {
        s.problem(node, where,
                  "expected a number, a boolean, a string (a LABEL, \"#rrggbb\") or an array of "
                  "2-4 numbers, got " +
                      describe(node));
        continue;
      }
      out.params.push_back(std::move(p));
    }
  }
}

void readScenes(Parser& parser, Section& root, std::vector<SceneConfig>& out) {
  const toml::array* scenes = root.tableArray("scenes");
  if (!scenes) return;
  std::map<std::string, std::size_t, std::less<>> firstUse;
  for (std::size_t i = 0; i < scenes->size(); ++i) {
    const toml::table& t = *scenes->get(i)->as_table();
    const std::string path = fmt::format("scenes[{}]", i);
    SceneConfig scene;
    readScene(parser, t, path, scene);
    if (!scene.name.empty()) {
      const auto [it, inserted] = firstUse.emplace(scene.name, i);
      if (!inserted) {
        parser.problem(lineOf(*t.get("name")), path + ".name",
                       fmt::format("duplicate scene name {} (already used by scenes[{}])",
                                   tomlQuoted(scene.name), it->second));
      }
    }
    out.push_back(std::move(scene));
  }
}

void readPush(Parser& parser, const toml::table& t, std::string path,
              std::vector<PushTarget>& out) {
  Section s(parser, t, std::move(path), {"uri"});
  std::string uri;
  if (!s.readString("uri", uri)) {
    if (!s.find("uri")) s.missing("uri");
    return;
  }
  std::string error;
  auto target = parsePushUri(uri, &error);
  if (!target) {
    // The URI itself may hold a stream key: the message names the problem, not the text.
    s.problem(*s.find("uri"), "uri", "not a push target: " + error);
    return;
  }
  const auto clash = std::find_if(out.begin(), out.end(), [&](const PushTarget& other) {
    return other.uri == target->uri ||
           (target->listener() && other.listener() && other.port == target->port);
  });
  if (clash != out.end()) {
    s.problem(
        *s.find("uri"), "uri",
        fmt::format("the same target as output.push[{}] ({})", clash - out.begin(), clash->masked));
    return;
  }
  out.push_back(std::move(*target));
}

void readRenditions(Section& s, int canvasHeight, OutputConfig& out) {
  if (!s.readIntArray("renditions", out.renditions, 144, 4320, true)) return;
  const toml::node& node = *s.find("renditions");
  if (out.renditions.size() > kMaxRenditions) {
    s.problem(node, "renditions",
              fmt::format("at most {} renditions, got {}", kMaxRenditions, out.renditions.size()));
  }
  std::vector<int> sorted = out.renditions;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    s.problem(node, "renditions", "each height once");
  }
  if (!sorted.empty() && sorted.front() > canvasHeight) {
    s.problem(node, "renditions",
              fmt::format("expected heights up to the canvas's ({}), got {}: the canvas is not "
                          "scaled up",
                          canvasHeight, sorted.front()));
  }
  out.renditions = std::move(sorted);  // largest first: the push targets get that one
}

// `count` numbers (integers with `integers`) in an array at `key`, each finite; nullopt (reported)
// otherwise. `shape` describes the expected value for messages: "[x, y, w, h]".
std::optional<std::vector<double>> readNumbers(Section& s, const toml::node& node,
                                               std::string_view key, std::size_t count,
                                               bool integers, std::string_view shape) {
  const toml::array* array = node.as_array();
  if (!array || array->size() != count) {
    s.problem(node, key, fmt::format("expected {}, got {}", shape, describe(node)));
    return std::nullopt;
  }
  std::vector<double> out;
  for (std::size_t i = 0; i < count; ++i) {
    const toml::node& e = *array->get(i);
    double v = 0;
    if (const auto* n = e.as_integer()) {
      v = static_cast<double>(n->get());
    } else if (const auto* f = e.as_floating_point(); f && !integers) {
      v = f->get();
    } else {
      s.problem(
          e, fmt::format("{}[{}]", key, i),
          fmt::format("expected {}, got {}", integers ? "an integer" : "a number", describe(e)));
      return std::nullopt;
    }
    if (!std::isfinite(v) || std::abs(v) > 1e6) {
      s.problem(e, fmt::format("{}[{}]", key, i),
                fmt::format("expected a finite number within +-1000000, got {}", formatNumber(v)));
      return std::nullopt;
    }
    out.push_back(v);
  }
  return out;
}

void readWindowRegion(Section& s, const CanvasConfig& canvas, WindowConfig& out) {
  const toml::node* node = s.find("region");
  if (!node) return;
  const auto v = readNumbers(s, *node, "region", 4, true, "[x, y, w, h] (4 integers)");
  if (!v) return;
  const Rect r{static_cast<float>((*v)[0]), static_cast<float>((*v)[1]),
               static_cast<float>((*v)[2]), static_cast<float>((*v)[3])};
  if (r.x < 0 || r.y < 0 || r.w < 1 || r.h < 1 || r.right() > canvas.width ||
      r.bottom() > canvas.height) {
    s.problem(*node, "region",
              fmt::format("expected [x, y, w, h] inside the {}x{} canvas (w, h at least 1), got "
                          "[{}, {}, {}, {}]",
                          canvas.width, canvas.height, r.x, r.y, r.w, r.h));
    return;
  }
  out.region = r;
}

void readWindowCorners(Section& s, WindowConfig& out) {
  const toml::node* node = s.find("corners");
  if (!node) return;
  constexpr std::string_view kShape =
      "four [x, y] points in window pixels: top-left, top-right, bottom-right, bottom-left";
  const toml::array* array = node->as_array();
  if (!array || array->size() != 4) {
    s.problem(*node, "corners", fmt::format("expected {}, got {}", kShape, describe(*node)));
    return;
  }
  Quad quad;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto p = readNumbers(s, *array->get(i), fmt::format("corners[{}]", i), 2, false,
                               "[x, y] (2 numbers)");
    if (!p) return;
    quad[i] = {(*p)[0], (*p)[1]};
  }
  if (!isConvexQuad(quad)) {
    s.problem(*node, "corners",
              fmt::format("expected a convex quadrilateral ({}), got a crossed, dented or flat one",
                          kShape));
    return;
  }
  out.corners = quad;
}

void readWindowBlend(Parser& parser, Section& s, WindowConfig& out) {
  const toml::table* t = s.table("blend");
  if (!t) return;
  Section b(parser, *t, s.keyPath("blend"), {"left", "right", "top", "bottom", "gamma"});
  const auto width = [](double x) { return x >= 0 && x <= 16384; };
  b.readNumber("left", out.blend.left, "in 0..16384 (pixels)", width);
  b.readNumber("right", out.blend.right, "in 0..16384 (pixels)", width);
  b.readNumber("top", out.blend.top, "in 0..16384 (pixels)", width);
  b.readNumber("bottom", out.blend.bottom, "in 0..16384 (pixels)", width);
  b.readNumber("gamma", out.blend.gamma, "in 1..4", [](double x) { return x >= 1 && x <= 4; });
}

void readWindowPlacement(Section& s, WindowConfig& out) {
  if (const toml::node* node = s.find("position")) {
    if (const auto v = readNumbers(s, *node, "position", 2, true, "[x, y] (2 integers)")) {
      out.position = PointD{(*v)[0], (*v)[1]};
    }
  }
  if (const toml::node* node = s.find("size")) {
    if (const auto v = readNumbers(s, *node, "size", 2, true, "[w, h] (2 integers)")) {
      if ((*v)[0] < 16 || (*v)[1] < 16 || (*v)[0] > 16384 || (*v)[1] > 16384) {
        s.problem(*node, "size", "expected [w, h] in 16..16384 pixels");
      } else {
        out.size = SizePx{static_cast<int>((*v)[0]), static_cast<int>((*v)[1])};
      }
    }
  }
  for (const std::string_view key : {"position", "size"}) {
    if (out.fullscreen && s.find(key)) {
      s.problem(*s.find(key), key,
                "only for fullscreen = false (a fullscreen window covers its display)");
    }
  }
}

void readWindow(Parser& parser, const toml::table& t, std::string path, const CanvasConfig& canvas,
                WindowConfig& out) {
  Section s(parser, t, std::move(path),
            {"display", "fullscreen", "region", "corners", "blend", "position", "size"});
  s.readInt("display", out.display, 0, kMaxDisplayIndex);
  s.readBool("fullscreen", out.fullscreen);
  readWindowRegion(s, canvas, out);
  readWindowCorners(s, out);
  readWindowBlend(parser, s, out);
  readWindowPlacement(s, out);
}

void readWindows(Parser& parser, Section& s, const CanvasConfig& canvas, OutputConfig& out) {
  const toml::array* windows = s.tableArray("windows");
  if (!windows) return;
  if (windows->size() > kMaxWindows) {
    s.problem(*s.find("windows"), "windows",
              fmt::format("at most {} windows, got {}", kMaxWindows, windows->size()));
    return;
  }
  for (std::size_t i = 0; i < windows->size(); ++i) {
    WindowConfig w;
    readWindow(parser, *windows->get(i)->as_table(), fmt::format("output.windows[{}]", i), canvas,
               w);
    out.windows.push_back(w);
  }
}

void readOutput(Parser& parser, const toml::table& t, const CanvasConfig& canvas,
                OutputConfig& out) {
  const int canvasHeight = canvas.height;
  Section s(parser, t, "output",
            {"window", "hls", "bitrate_kbps", "hls_segment_seconds", "hls_playlist_length", "qr",
             "push", "renditions", "replay_hours", "replay_dir", "replay_max_mb", "whep",
             "max_viewers", "windows", "i420_conversion"});
  readWindows(parser, s, canvas, out);
  readRenditions(s, canvasHeight, out);
  s.readNumber("replay_hours", out.replayHours, "in 0..168 (0: off)",
               [](double x) { return x >= 0 && x <= 168; });
  s.readInt("replay_max_mb", out.replayMaxMb, 10, 10'000'000);
  std::string replayDir;
  if (s.readString("replay_dir", replayDir)) {
    out.replayDir = parser.resolve(replayDir);
    std::error_code ec;
    if (fs::exists(out.replayDir, ec) && !fs::is_directory(out.replayDir, ec)) {
      s.problem(*s.find("replay_dir"), "replay_dir",
                "expected a directory (made when missing), got a file: " + out.replayDir.string());
    }
  }
  s.readBool("window", out.window);
  s.readBool("qr", out.qr);
  s.readBool("hls", out.hls);
  bool whep = false;
  if (s.readBool("whep", whep)) out.whep = whep;
  s.readInt("max_viewers", out.maxViewers, 1, kMaxWhepViewers);
  s.readEnum("i420_conversion", out.i420Conversion, kI420ConversionNames);
  s.readInt("bitrate_kbps", out.bitrateKbps, 100, 100000);
  s.readInt("hls_segment_seconds", out.hlsSegmentSeconds, 1, 10);
  s.readInt("hls_playlist_length", out.hlsPlaylistLength, 2, 60);
  if (const toml::array* pushes = s.tableArray("push")) {
    if (pushes->size() > kMaxPushTargets) {
      s.problem(*s.find("push"), "push",
                fmt::format("at most {} push targets, got {}", kMaxPushTargets, pushes->size()));
      return;
    }
    for (std::size_t i = 0; i < pushes->size(); ++i) {
      readPush(parser, *pushes->get(i)->as_table(), fmt::format("output.push[{}]", i), out.pushes);
    }
  }
}

std::string joinProblems(const std::vector<ConfigProblem>& problems) {
  std::string text;
  for (const ConfigProblem& p : problems) {
    if (!text.empty()) text += '\n';
    text += p.str();
  }
  return text;
}

}  // namespace

std::optional<std::string> urlHost(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return std::nullopt;
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string host(rest.substr(1, close - 1));
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return std::nullopt;
    return std::string(rest.substr(0, close + 1));
  }
  const std::string_view host = rest.substr(0, rest.find(':'));
  if (host.empty() || host.size() > 253) return std::nullopt;
  const bool ok = std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
  if (!ok) return std::nullopt;
  return std::string(host);
}

std::optional<ListenAddress> parseListenAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  const std::string_view port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  ListenAddress out;
  out.port = std::stoi(std::string(port));
  if (out.port > 65535) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr v6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &v6) != 1) return std::nullopt;
    return out;
  }
  out.host = std::string(host);
  in_addr v4{};
  if (inet_pton(AF_INET, out.host.c_str(), &v4) != 1) return std::nullopt;
  return out;
}

std::string ConfigProblem::str() const {
  return fmt::format("{}:{}: {}: {}", file, line, key, message);
}

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : std::runtime_error(joinProblems(problems)), mProblems(std::move(problems)) {}

const char* toString(LayoutKind kind) {
  for (const auto& [name, k] : kLayoutNames) {
    if (k == kind) return name.data();
  }
  return "?";
}

const char* toString(SceneScore score) {
  for (const auto& [name, k] : kSceneScoreNames) {
    if (k == score) return name.data();
  }
  return "?";
}

Config parseConfig(std::string_view text, const std::filesystem::path& file) {
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  if (ec) absolute = file;
  Parser parser(file.string(), absolute.parent_path());

  Config config;
  config.file = file;
  if (text.size() > kMaxInstallationFileBytes) {
    parser.problem(0, "(file)",
                   fmt::format("{} bytes is more than the {} an installation file may hold",
                               text.size(), kMaxInstallationFileBytes));
    throw ConfigError(parser.takeProblems());
  }
  if (const int line = lineNestedBeyond(text, kMaxNestingDepth)) {
    parser.problem(line, "(syntax)",
                   fmt::format("tables and arrays nested more than {} deep", kMaxNestingDepth));
    throw ConfigError(parser.takeProblems());
  }
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file.native()));
  } catch (const toml::parse_error& e) {
    parser.problem(static_cast<int>(e.source().begin.line), "(syntax)",
                   std::string(e.description()));
    throw ConfigError(parser.takeProblems());
  }

  Section s(parser, root, "",
            {"installation", "canvas", "http", "ingest", "analysis", "scenes", "output", "sync",
             "reactions", "osc"});
  if (const toml::table* t = s.table("installation"))
    readInstallation(parser, *t, config.installation);
  if (const toml::table* t = s.table("canvas")) readCanvas(parser, *t, config.canvas);
  if (const toml::table* t = s.table("http")) readHttp(parser, *t, config.http);
  if (const toml::table* t = s.table("ingest")) readIngest(parser, *t, config.ingest);
  if (const toml::table* t = s.table("analysis")) readAnalysis(parser, *t, config.analysis);
  readScenes(parser, s, config.scenes);
  if (const toml::table* t = s.table("output"))
    readOutput(parser, *t, config.canvas, config.output);
  if (const toml::table* t = s.table("sync")) readSync(parser, *t, config.sync);
  if (const toml::table* t = s.table("reactions")) readReactions(parser, *t, config.reactions);
  if (const toml::table* t = s.table("osc")) readOsc(parser, *t, config.osc);

  std::vector<ConfigProblem> problems = parser.takeProblems();
  if (!problems.empty()) throw ConfigError(std::move(problems));
  if (config.scenes.empty()) {
    SceneConfig grid;
    grid.name = "grid";
    grid.layout = LayoutKind::kGrid;
    config.scenes.push_back(std::move(grid));
  }
  return config;
}

Config loadConfig(const std::filesystem::path& file) {
  const auto fail = [&](std::string message) {
    throw ConfigError({{file.string(), 0, "(file)", std::move(message)}});
  };
  std::error_code ec;
  if (fs::is_directory(file, ec)) fail("is a directory, not an installation file");
  // Only a regular file of a bounded size is read: not /dev/zero, not a pipe.
  std::string error;
  const std::optional<std::string> text = readRegularFile(file, kMaxInstallationFileBytes, &error);
  if (!text) {
    // The problem names the file already.
    std::string_view why = error;
    if (why.rfind(file.string(), 0) == 0) why.remove_prefix(file.string().size());
    while (!why.empty() && (why.front() == ':' || why.front() == ' ')) why.remove_prefix(1);
    fail("cannot open: " + std::string(why));
  }
  return parseConfig(*text, file);
}

}  // namespace tessera::core
