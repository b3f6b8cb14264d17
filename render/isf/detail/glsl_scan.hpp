// Character classes and comment skipping shared by the parser (ShaderToy detection) and the
// translation (token-aware rewrites). GLSL has no string literals, so comments are the only
// places where an identifier is not code.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::render::isf::detail {

inline bool isIdentStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
inline bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// The end of the comment starting at `pos` (just past "*/" or the end of the line before '\n'),
// or `pos` itself when no comment starts there.
inline std::size_t skipComment(std::string_view s, std::size_t pos) {
  if (pos + 1 >= s.size() || s[pos] != '/') return pos;
  if (s[pos + 1] == '/') {
    const std::size_t end = s.find('\n', pos + 2);
    return end == std::string_view::npos ? s.size() : end;
  }
  if (s[pos + 1] == '*') {
    const std::size_t end = s.find("*/", pos + 2);
    return end == std::string_view::npos ? s.size() : end + 2;
  }
  return pos;
}

// True when `name` occurs in `code` as a whole identifier outside comments.
inline bool containsIdentifier(std::string_view code, std::string_view name) {
  std::size_t i = 0;
  while (i < code.size()) {
    if (const std::size_t end = skipComment(code, i); end != i) {
      i = end;
    } else if (isIdentStart(code[i])) {
      const std::size_t start = i;
      while (i < code.size() && isIdentChar(code[i])) ++i;
      if (code.substr(start, i - start) == name) return true;
    } else if (isDigit(code[i])) {
      while (i < code.size() && (isIdentChar(code[i]) || code[i] == '.')) ++i;
    } else {
      ++i;
    }
  }
  return false;
}

}  // namespace tessera::render::isf::detail
