#include "tests/integration/docker_api/socket_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vpe::docker::testing {
namespace {

int ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* data, ssize_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= w;
  }
  return true;
}

}  // namespace

UnixSocketProxy::UnixSocketProxy(std::string target_path) : target_path_(std::move(target_path)) {}

UnixSocketProxy::~UnixSocketProxy() {
  Close();
  if (!listen_path_.empty()) ::unlink(listen_path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

bool UnixSocketProxy::Start() {
  char tmpl[] = "/tmp/vpe-proxy-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  dir_ = tmpl;
  listen_path_ = dir_ + "/engine.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, listen_path_.c_str(), sizeof(addr.sun_path) - 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    error_ = std::string("listen on ") + listen_path_ + ": " + std::strerror(errno);
    return false;
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void UnixSocketProxy::AcceptLoop() {
  while (!closed_.load()) {
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;  // listener shut down
    }
    int engine = ConnectUnix(target_path_);
    std::lock_guard<std::mutex> lock(mu_);
    if (engine < 0 || closed_.load()) {
      ::close(client);
      if (engine >= 0) ::close(engine);
      continue;
    }
    connections_++;
    fds_.push_back(client);
    fds_.push_back(engine);
    threads_.emplace_back([this, client, engine] { Pump(client, engine); });
  }
}

void UnixSocketProxy::Pump(int client_fd, int engine_fd) {
  pollfd fds[2] = {{client_fd, POLLIN, 0}, {engine_fd, POLLIN, 0}};
  char buf[16384];
  while (!closed_.load()) {
    if (::poll(fds, 2, 100) < 0 && errno != EINTR) return;
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::recv(fds[i].fd, buf, sizeof(buf), 0);
      if (n <= 0 || !WriteAll(fds[1 - i].fd, buf, n)) {
        ::shutdown(client_fd, SHUT_RDWR);
        ::shutdown(engine_fd, SHUT_RDWR);
        return;
      }
    }
  }
}

void UnixSocketProxy::Close() {
  if (closed_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& t : threads_) t.join();
  for (int fd : fds_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  ::unlink(listen_path_.c_str());
}

}  // namespace vpe::docker::testing
