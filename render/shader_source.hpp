// The renderer's own GLSL files (shaders/): read whole, and compiled in variants by inserting
// #defines after the #version line. Artists' shaders go through render/isf instead.
//
// Thread: any.
#pragma once

#include <filesystem>
#include <string>

namespace tessera::render {

// False when the file cannot be opened.
bool readShaderFile(const std::filesystem::path& path, std::string* out);

// `source` with `defines` (whole lines) inserted after its first line (#version).
std::string withDefines(const std::string& source, const std::string& defines);

}  // namespace tessera::render
