#include "core/pem.hpp"

#include <catch2/catch.hpp>

#include <string>

using tessera::core::pemCertificatesProblem;

namespace {
// A real certificate (a test CA, EC P-256); only its armour and first DER byte are checked.
const std::string kCert =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBlTCCATugAwIBAgIUG4Wb0KFftHYGKl78zV2Wpp144LEwCgYIKoZIzj0EAwIw\n"
    "GDEWMBQGA1UEAwwNVGVzdCBWZW51ZSBDQTAeFw0yNjEyMDMxMTI4NDBaFw0yNjEy\n"
    "MDUxMTI4NDBaMBgxFjAUBgNVBAMMDVRlc3QgVmVudWUgQ0EwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAAQFtjVq4c/pF9dznBRVanaWfne44ntaiQ1vlFV6k4lTW7a7\n"
    "KbGOOCtU74LoMamtSZHGyuc5RWcRPJwDSwCYaQeAo2MwYTAdBgNVHQ4EFgQU/va7\n"
    "6mhq3ORtP6M0GVAb4ULTClIwHwYDVR0jBBgwFoAU/va76mhq3ORtP6M0GVAb4ULT\n"
    "ClIwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwID\n"
    "SAAwRQIhAKBP3O9dHnYoKryuz7qnPFKonq0+/rDHKf8NjGW0mmbnAiBoKe/kGM6V\n"
    "9PR0pOELA68Sqs7yK7Wxy/EJVSPS1J25CQ==\n"
    "-----END CERTIFICATE-----\n";
}  // namespace

TEST_CASE("pemCertificatesProblem: certificates pass and are counted", "[core][pem]") {
  int count = 0;
  CHECK_FALSE(pemCertificatesProblem(kCert, &count));
  CHECK(count == 1);
  CHECK_FALSE(pemCertificatesProblem("# a bundle\r\n" + kCert + "\n" + kCert, &count));
  CHECK(count == 2);
}

TEST_CASE("pemCertificatesProblem says what is wrong", "[core][pem]") {
  struct Row {
    std::string pem;
    std::string problem;
  };
  const std::string key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
  const Row rows[] = {
      {"", "no PEM certificate (\"-----BEGIN CERTIFICATE-----\") in it"},
      {"hello\n", "no PEM certificate (\"-----BEGIN CERTIFICATE-----\") in it"},
      {kCert + key,
       "it holds a private key: give only the CA's certificate (and keep the key "
       "secret)"},
      {"-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n" + kCert,
       "it holds a private key: give only the CA's certificate (and keep the key secret)"},
      {"-----BEGIN CERTIFICATE-----\nMIIB\n",
       "no \"-----END CERTIFICATE-----\" after \"-----BEGIN CERTIFICATE-----\""},
      {"-----BEGIN CERTIFICATE\nMIIB\n-----END CERTIFICATE-----\n", "a broken \"-----BEGIN\" line"},
      {"-----BEGIN CERTIFICATE-----\nM!IB\n-----END CERTIFICATE-----\n",
       "certificate 1 is not valid base64 DER"},
      {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",  // not a SEQUENCE
       "certificate 1 is not valid base64 DER"},
      {"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n",  // 3 digits
       "certificate 1 is not valid base64 DER"},
      {kCert + "-----BEGIN CERTIFICATE-----\nMI=B\n-----END CERTIFICATE-----\n",
       "certificate 2 is not valid base64 DER"},
  };
  for (const Row& row : rows) {
    INFO(row.pem);
    const auto problem = pemCertificatesProblem(row.pem);
    REQUIRE(problem);
    CHECK(*problem == row.problem);
  }
}
