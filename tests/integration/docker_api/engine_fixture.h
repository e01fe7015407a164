#pragma once
// Shared fixture of the docker_api integration tests: connects to the engine at DOCKER_HOST
// (failing loudly when there is none), labels everything a test creates with
// io.vpe.test=docker_api plus a per-test run label, and removes it all by label in TearDown, also
// when the test failed.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "docker_api/client.h"

#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    const auto& vpe_r_ = (expr);                                            \
    ASSERT_TRUE(vpe_r_.ok()) << #expr << ": " << vpe_r_.error().ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                     \
  do {                                                                      \
    const auto& vpe_r_ = (expr);                                            \
    EXPECT_TRUE(vpe_r_.ok()) << #expr << ": " << vpe_r_.error().ToString(); \
  } while (0)

namespace vpe::docker::testing {

inline constexpr char kImage[] = "vpe/debian:bookworm";
inline constexpr char kTestLabel[] = "io.vpe.test";
inline constexpr char kTestLabelValue[] = "docker_api";
inline constexpr char kRunLabel[] = "io.vpe.test.run";

// Cancels `token` when it goes out of scope. Declare it after the std::future of a call running on
// another thread, so that a failed ASSERT cancels the call before the future's destructor waits.
struct CancelOnExit {
  std::shared_ptr<CancelToken> token;
  ~CancelOnExit() { token->Cancel(); }
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // DOCKER_HOST as the tests see it.
  static std::string DockerHost();
  // Connects a second client, e.g. through a proxy socket.
  Result<std::unique_ptr<Client>> ConnectTo(const std::string& host) const;

  // The labels every object of this test carries.
  Labels TestLabels() const;
  Filters TestFilter() const;
  // A container spec on the base image running `cmd`, labelled for cleanup.
  ContainerSpec Spec(std::vector<std::string> cmd) const;
  ContainerSpec Shell(const std::string& script) const { return Spec({"sh", "-c", script}); }
  // Unique within the run: "<prefix>-<run id>".
  std::string UniqueName(const std::string& prefix) const;

  // Creates, registers a wait, starts and waits for exit. Returns the exit code.
  Result<int64_t> RunToExit(const ContainerSpec& spec, std::string* id_out = nullptr);
  // Non-follow logs of a container, stdout and stderr apart.
  Status ReadLogs(const std::string& id, std::string* out, std::string* err);
  // Volumes the test created (removed in TearDown).
  void TrackVolume(const std::string& name) { volumes_.push_back(name); }

  std::unique_ptr<Client> engine_;
  std::string run_id_;

 private:
  std::vector<std::string> volumes_;
};

}  // namespace vpe::docker::testing
