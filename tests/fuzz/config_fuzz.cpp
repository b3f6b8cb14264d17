// libFuzzer target: an installation file is untrusted text (it may come from anyone who can edit
// the show's folder). The parser and its validation must refuse, never crash on, any bytes: every
// refusal is a ConfigError whose problems name the file and a key; what it accepts is within the
// documented bounds. The nesting bound (docs/installation-format.md, "Limits") keeps the TOML
// parser's recursion short, so deep documents are refused, not a stack overflow.
//
//   clang++ build: cmake -DCMAKE_CXX_COMPILER=clang++ ...; ninja config_fuzz
//   ./config_fuzz -max_total_time=60 tests/fuzz/corpus/config   (a copy: libFuzzer adds to it)
#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config.hpp"

using namespace tessera::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Config c = parseConfig(text, "fuzz.toml");
    assert(!c.scenes.empty());
    assert(c.canvas.width >= 16 && c.canvas.width <= 7680 && c.canvas.width % 2 == 0);
    assert(c.canvas.height >= 16 && c.canvas.height <= 7680 && c.canvas.height % 2 == 0);
    assert(c.ingest.synthetic.count + static_cast<int>(c.ingest.pulls.size()) <= c.ingest.maxFeeds);
    assert(parseListenAddress(c.http.listen).has_value());
    assert(c.installation.name.size() <= 128);
  } catch (const ConfigError& e) {
    assert(!e.problems().empty());
    for (const ConfigProblem& p : e.problems()) {
      assert(p.file == "fuzz.toml");
      assert(!p.key.empty());
      assert(p.line >= 0);
    }
  }
  return 0;
}
