#include "docker_api/connect_options.h"

#include <gtest/gtest.h>

#include <map>

#include "docker_api/api_version.h"

namespace vpe::docker {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

TEST(ParseHostTest, ParsesUnixSocket) {
  auto ep = ParseHost("unix:///var/lib/vpe-engine/docker.sock");
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  EXPECT_EQ(ep->kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(ep->socket_path, "/var/lib/vpe-engine/docker.sock");
  EXPECT_EQ(ep->ToString(), "unix:///var/lib/vpe-engine/docker.sock");
}

TEST(ParseHostTest, ParsesTcpWithAndWithoutPort) {
  auto ep = ParseHost("tcp://10.0.0.5:2376");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->kind, Endpoint::Kind::kTcp);
  EXPECT_EQ(ep->hostname, "10.0.0.5");
  EXPECT_EQ(ep->port, 2376);
  EXPECT_FALSE(ep->tls);
  auto def = ParseHost("tcp://docker.example");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->port, 2375);
  auto https = ParseHost("https://docker.example/");
  ASSERT_TRUE(https.ok());
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->port, 2376);
  auto v6 = ParseHost("tcp://[::1]:1234");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->hostname, "::1");
  EXPECT_EQ(v6->port, 1234);
}

TEST(ParseHostTest, RejectsBadHostsNamingThem) {
  for (const char* bad :
       {"unix://relative.sock", "unix://", "http+unix://x", "npipe:////./pipe", "tcp://",
        "tcp://h:port", "tcp://h:70000", "tcp://h:1/path", "/var/run/docker.sock", "tcp://[::1"}) {
    auto ep = ParseHost(bad);
    ASSERT_FALSE(ep.ok()) << bad;
    EXPECT_EQ(ep.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(ep.error().message.find(bad), std::string::npos) << ep.error().message;
  }
}

TEST(ResolveEndpointTest, DefaultsToDockerHostThenDefaultSocket) {
  auto from_env = ResolveEndpoint({}, FakeEnv({{"DOCKER_HOST", "unix:///tmp/d.sock"}}));
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->socket_path, "/tmp/d.sock");
  auto dflt = ResolveEndpoint({}, FakeEnv({}));
  ASSERT_TRUE(dflt.ok());
  EXPECT_EQ(dflt->socket_path, "/var/run/docker.sock");
  ConnectOptions explicit_host;
  explicit_host.host = "unix:///x.sock";
  explicit_host.timeout = std::chrono::seconds(7);
  auto ep = ResolveEndpoint(explicit_host, FakeEnv({{"DOCKER_HOST", "unix:///tmp/d.sock"}}));
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->socket_path, "/x.sock");
  EXPECT_EQ(ep->timeout, std::chrono::seconds(7));
}

TEST(ResolveEndpointTest, TlsFromOptions) {
  ConnectOptions o;
  o.host = "tcp://h:2376";
  o.tls_ca_path = "/certs/ca.pem";
  o.tls_cert_path = "/certs/cert.pem";
  o.tls_key_path = "/certs/key.pem";
  auto ep = ResolveEndpoint(o, FakeEnv({}));
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->tls_ca_path, "/certs/ca.pem");
  EXPECT_EQ(ep->tls_cert_path, "/certs/cert.pem");
  EXPECT_EQ(ep->tls_key_path, "/certs/key.pem");
  EXPECT_EQ(ep->ToString(), "tcp://h:2376 (tls)");
}

TEST(ResolveEndpointTest, TlsFromDockerEnvironment) {
  auto ep = ResolveEndpoint({}, FakeEnv({{"DOCKER_HOST", "tcp://h:2376"},
                                         {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", "/etc/docker/certs"}}));
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->tls_ca_path, "/etc/docker/certs/ca.pem");
  EXPECT_EQ(ep->tls_cert_path, "/etc/docker/certs/cert.pem");
  EXPECT_EQ(ep->tls_key_path, "/etc/docker/certs/key.pem");
  auto plain = ResolveEndpoint({}, FakeEnv({{"DOCKER_HOST", "tcp://h:2375"}}));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
}

TEST(ResolveEndpointTest, RejectsCertWithoutKeyAndBadTimeout) {
  ConnectOptions o;
  o.host = "tcp://h:2376";
  o.tls_cert_path = "/certs/cert.pem";
  auto ep = ResolveEndpoint(o, FakeEnv({}));
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(ep.error().message.find("key"), std::string::npos);
  ConnectOptions t;
  t.host = "unix:///x.sock";
  t.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(ResolveEndpoint(t, FakeEnv({})).ok());
}

TEST(ApiVersionTest, NegotiatesWithinSupportedRange) {
  EXPECT_EQ(NegotiateApiVersion("1.41", "20.10.24").value(), "1.41");
  EXPECT_EQ(NegotiateApiVersion("1.43", "24.0.0").value(), "1.43");
  EXPECT_EQ(NegotiateApiVersion("1.50", "28.2.2").value(), "1.43");
  EXPECT_EQ(NegotiateApiVersion("2.0", "99").value(), "1.43");
}

TEST(ApiVersionTest, RefusesOldEngineNamingBothVersions) {
  auto r = NegotiateApiVersion("1.40", "19.03.15");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("1.40"), std::string::npos);
  EXPECT_NE(r.error().message.find("1.41"), std::string::npos);
  EXPECT_NE(r.error().message.find("19.03.15"), std::string::npos);
  EXPECT_FALSE(NegotiateApiVersion("garbage", "x").ok());
}

TEST(ApiVersionTest, ComparesNumerically) {
  EXPECT_LT(CompareApiVersions("1.9", "1.41"), 0);
  EXPECT_GT(CompareApiVersions("1.100", "1.41"), 0);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41"), 0);
}

}  // namespace
}  // namespace vpe::docker
