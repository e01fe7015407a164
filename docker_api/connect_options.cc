#include "docker_api/connect_options.h"

#include <cstdlib>

namespace vpe::docker {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Error BadHost(const std::string& host, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "docker host \"" + host + "\": " + why);
}

}  // namespace

std::string Endpoint::ToString() const {
  if (kind == Kind::kUnix) return "unix://" + socket_path;
  return "tcp://" + hostname + ":" + std::to_string(port) + (tls ? " (tls)" : "");
}

std::string GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}

Result<Endpoint> ParseHost(const std::string& host) {
  Endpoint ep;
  if (StartsWith(host, "unix://")) {
    ep.kind = Endpoint::Kind::kUnix;
    ep.socket_path = host.substr(7);
    if (ep.socket_path.empty() || ep.socket_path[0] != '/') {
      return BadHost(host, "a unix socket needs an absolute path (unix:///path/docker.sock)");
    }
    return ep;
  }
  std::string rest;
  if (StartsWith(host, "tcp://")) {
    rest = host.substr(6);
  } else if (StartsWith(host, "https://")) {
    rest = host.substr(8);
    ep.tls = true;
  } else {
    return BadHost(host, "unsupported scheme (want unix:// or tcp://)");
  }
  ep.kind = Endpoint::Kind::kTcp;
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return BadHost(host, "a path is not supported");
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {  // [v6addr]:port
    size_t close = rest.find(']');
    if (close == std::string::npos) return BadHost(host, "unterminated [ in address");
    ep.hostname = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return BadHost(host, "expected :port after ]");
      port_text = rest.substr(close + 2);
    }
  } else {
    size_t colon = rest.rfind(':');
    ep.hostname = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.hostname.empty()) return BadHost(host, "no host name");
  if (port_text.empty()) {
    ep.port = ep.tls ? 2376 : 2375;
  } else {
    if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) {
      return BadHost(host, "port \"" + port_text + "\" is not a number");
    }
    ep.port = std::stoi(port_text);
    if (ep.port <= 0 || ep.port > 65535) return BadHost(host, "port out of range");
  }
  return ep;
}

Result<Endpoint> ResolveEndpoint(const ConnectOptions& options, const EnvLookup& env) {
  std::string host = options.host;
  if (host.empty()) host = env("DOCKER_HOST");
  if (host.empty()) host = kDefaultDockerHost;
  auto parsed = ParseHost(host);
  if (!parsed.ok()) return parsed.error();
  Endpoint ep = std::move(parsed).value();
  ep.timeout = options.timeout;
  if (options.timeout.count() <= 0) return BadHost(host, "timeout must be positive");
  if (ep.kind == Endpoint::Kind::kUnix) return ep;

  ep.tls_ca_path = options.tls_ca_path;
  ep.tls_cert_path = options.tls_cert_path;
  ep.tls_key_path = options.tls_key_path;
  std::string verify = env("DOCKER_TLS_VERIFY");
  bool from_env = !verify.empty() && verify != "0";
  if (from_env && ep.tls_ca_path.empty() && ep.tls_cert_path.empty() && ep.tls_key_path.empty()) {
    std::string dir = env("DOCKER_CERT_PATH");
    if (dir.empty()) {
      std::string home = env("HOME");
      dir = (home.empty() ? std::string(".") : home) + "/.docker";
    }
    ep.tls_ca_path = dir + "/ca.pem";
    ep.tls_cert_path = dir + "/cert.pem";
    ep.tls_key_path = dir + "/key.pem";
  }
  if (!ep.tls_ca_path.empty() || !ep.tls_cert_path.empty() || !ep.tls_key_path.empty()) {
    ep.tls = true;
  }
  if (ep.tls_cert_path.empty() != ep.tls_key_path.empty()) {
    return BadHost(host, "a TLS client certificate needs both a cert and a key path (cert=\"" +
                             ep.tls_cert_path + "\" key=\"" + ep.tls_key_path + "\")");
  }
  return ep;
}

}  // namespace vpe::docker
