// libFuzzer target: an artist's shader file is untrusted text. The ISF/ShaderToy parser must
// refuse, never crash on, any bytes; what it accepts must translate, keep the artist's line
// count, and its pass sizes must evaluate to finite numbers. The same bytes also go through the
// expression parser, and through remapLog as a compiler log.
//
//   clang++ build: cmake -DCMAKE_CXX_COMPILER=clang++ ...; ninja isf_fuzz
//   ./isf_fuzz -max_total_time=60
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "render/isf/isf.hpp"

using namespace tessera::render::isf;

namespace {

int lines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

double lookup(std::string_view name) {
  return name.size() * 100.0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Problem problem;
  if (const std::optional<Document> doc = parse(text, &problem)) {
    assert(!doc->passes.empty());
    assert(doc->body.size() == text.size());
    assert(lines(doc->body) == lines(text));
    std::vector<std::string> known{"$WIDTH", "$HEIGHT"};
    for (const Input& input : doc->inputs) known.push_back(input.name);
    for (const Pass& pass : doc->passes) {
      for (const std::string* size : {&pass.widthExpr, &pass.heightExpr}) {
        if (size->empty()) continue;
        const auto e = Expression::parse(*size, known, nullptr);
        assert(e.has_value());  // parse() checked it
        assert(std::isfinite(e->evaluate(lookup)));
      }
    }
    const Sources sources = translate(*doc, text, CrowdLimits{});
    assert(sources.fragment.find("#line 1 0\n") != std::string::npos);
    assert(!sources.vertex.empty());
  } else {
    assert(!problem.message.empty());
    assert(problem.line >= 1);
  }

  std::string error;
  if (const auto e = Expression::parse(text, {"$WIDTH", "$HEIGHT", "x"}, &error)) {
    assert(std::isfinite(e->evaluate(lookup)));
    assert(std::isfinite(e->evaluate([](std::string_view) { return NAN; })));
  } else {
    assert(!error.empty());
  }

  (void)remapLog(text, "fuzz.fs");
  return 0;
}
