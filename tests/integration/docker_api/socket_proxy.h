#pragma once
// A Unix-socket proxy for tests: listens on a temporary socket and forwards every connection to
// a target socket (the real engine). Close() drops the listener and every forwarded connection at
// once, which looks to a client exactly like the engine's socket disappearing.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vpe::docker::testing {

class UnixSocketProxy {
 public:
  explicit UnixSocketProxy(std::string target_path);
  ~UnixSocketProxy();

  // Binds the listening socket; returns false (with errno text in error()) on failure.
  bool Start();
  // "unix:///tmp/.../proxy.sock"
  std::string host() const { return "unix://" + listen_path_; }
  // Closes the listener and all connections; joins every thread.
  void Close();
  int connections() const { return connections_.load(); }
  const std::string& error() const { return error_; }

 private:
  void AcceptLoop();
  void Pump(int client_fd, int engine_fd);

  std::string target_path_;
  std::string dir_;
  std::string listen_path_;
  std::string error_;
  int listen_fd_ = -1;
  std::atomic<bool> closed_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace vpe::docker::testing
