#pragma once
// Where and how to reach the Docker engine: the options a caller gives Client::Connect and their
// resolution into an Endpoint (DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker
// CLI reads them).

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"

namespace vpe::docker {

inline constexpr char kDefaultDockerHost[] = "unix:///var/run/docker.sock";

struct ConnectOptions {
  // "unix:///path/docker.sock" or "tcp://host:port" (also "https://host:port"). Empty: the
  // DOCKER_HOST environment variable, else kDefaultDockerHost.
  std::string host;
  // TLS for tcp:// hosts. Empty paths and DOCKER_TLS_VERIFY set: DOCKER_CERT_PATH/{ca,cert,
  // key}.pem. A CA path alone verifies the server; cert and key add a client certificate.
  std::string tls_ca_path;
  std::string tls_cert_path;
  std::string tls_key_path;
  // Connect, read and write timeout of every call except waits, follows, builds and events.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

struct Endpoint {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string socket_path;  // kUnix
  std::string hostname;     // kTcp
  int port = 0;             // kTcp
  bool tls = false;
  std::string tls_ca_path;
  std::string tls_cert_path;
  std::string tls_key_path;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};

  // "unix:///var/run/docker.sock" or "tcp://h:2376 (tls)": for messages.
  std::string ToString() const;
};

// Reads an environment variable; returns "" when unset. Injected so tests need no setenv.
using EnvLookup = std::function<std::string(const std::string& name)>;
std::string GetEnv(const std::string& name);

// Parses a host URL alone. kInvalidArgument names the host and what is wrong.
Result<Endpoint> ParseHost(const std::string& host);

// Applies defaults and the environment to `options` and parses the host.
Result<Endpoint> ResolveEndpoint(const ConnectOptions& options, const EnvLookup& env = GetEnv);

}  // namespace vpe::docker
