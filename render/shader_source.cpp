#include "render/shader_source.hpp"

#include <fstream>
#include <sstream>

namespace tessera::render {

bool readShaderFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string withDefines(const std::string& source, const std::string& defines) {
  const auto eol = source.find('\n');
  if (eol == std::string::npos) return defines + source;
  return source.substr(0, eol + 1) + defines + source.substr(eol + 1);
}

}  // namespace tessera::render
