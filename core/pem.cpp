#include "core/pem.hpp"

#include <fmt/format.h>

namespace tessera::core {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The first decoded byte of a base64 body, or nullopt when the body is not base64 (whitespace
// between lines is allowed, '=' only as padding at the end).
std::optional<unsigned char> firstBase64Byte(std::string_view body) {
  int first = -1, second = -1;
  std::size_t digits = 0, padding = 0;
  for (const char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int v = base64Value(c);
    if (v < 0 || padding > 0) return std::nullopt;
    if (digits == 0) first = v;
    if (digits == 1) second = v;
    ++digits;
  }
  if (digits < 2 || padding > 2 || (digits + padding) % 4 != 0) return std::nullopt;
  return static_cast<unsigned char>((first << 2) | (second >> 4));
}

}  // namespace

std::optional<std::string> pemCertificatesProblem(std::string_view pem, int* count) {
  int certificates = 0;
  for (std::size_t at = pem.find(kBegin); at != std::string_view::npos; at = pem.find(kBegin, at)) {
    const std::size_t labelAt = at + kBegin.size();
    const std::size_t labelEnd = pem.find(kDashes, labelAt);
    const std::size_t lineEnd = pem.find('\n', labelAt);
    if (labelEnd == std::string_view::npos || labelEnd > lineEnd) {
      return "a broken \"-----BEGIN\" line";
    }
    const std::string_view label = pem.substr(labelAt, labelEnd - labelAt);
    if (label.find("PRIVATE KEY") != std::string_view::npos) {
      return "it holds a private key: give only the CA's certificate (and keep the key secret)";
    }
    const std::string end = fmt::format("{}{}{}", kEnd, label, kDashes);
    const std::size_t bodyAt = labelEnd + kDashes.size();
    const std::size_t endAt = pem.find(end, bodyAt);
    if (endAt == std::string_view::npos) {
      return fmt::format("no \"{}\" after \"-----BEGIN {}-----\"", end, label.substr(0, 40));
    }
    if (label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE") {
      // Every certificate is a DER SEQUENCE (0x30).
      const auto first = firstBase64Byte(pem.substr(bodyAt, endAt - bodyAt));
      if (!first || *first != 0x30) {
        return fmt::format("certificate {} is not valid base64 DER", certificates + 1);
      }
      if (++certificates > kMaxPemCertificates) {
        return fmt::format("more than {} certificates", kMaxPemCertificates);
      }
    }
    at = endAt + end.size();
  }
  if (certificates == 0) return "no PEM certificate (\"-----BEGIN CERTIFICATE-----\") in it";
  if (count) *count = certificates;
  return std::nullopt;
}

}  // namespace tessera::core
