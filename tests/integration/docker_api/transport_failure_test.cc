// The engine's socket disappearing mid-stream is kUnavailable ("engine unavailable"), never an
// exit: checked through an in-test proxy that is closed while a follow and a wait are running.
#include <chrono>
#include <future>

#include "tests/integration/docker_api/engine_fixture.h"
#include "tests/integration/docker_api/socket_proxy.h"

namespace vpe::docker::testing {
namespace {

class TransportFailureTest : public EngineTest {};

TEST_F(TransportFailureTest, SocketVanishingMidFollowIsUnavailable) {
  auto endpoint = ResolveEndpoint(ConnectOptions{});
  ASSERT_OK(endpoint);
  ASSERT_EQ(endpoint->kind, Endpoint::Kind::kUnix) << "the proxy test needs a unix:// DOCKER_HOST";
  UnixSocketProxy proxy(endpoint->socket_path);
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  auto via_proxy = ConnectTo(proxy.host());
  ASSERT_OK(via_proxy);
  Client& proxied = **via_proxy;

  auto created = engine_->CreateContainer(Shell("while true; do echo tick; sleep 0.05; done"));
  ASSERT_OK(created);
  auto wait = proxied.Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));

  auto cancel = std::make_shared<CancelToken>();
  std::promise<void> first_data;
  bool signalled = false;
  std::string received;
  auto follow = std::async(std::launch::async, [&] {
    LogOptions options;
    options.follow = true;
    return proxied.Logs(
        created->id, options,
        [&](StreamKind, std::string_view data) {
          received.append(data);
          if (!signalled) {
            signalled = true;
            first_data.set_value();
          }
          return true;
        },
        cancel);
  });
  CancelOnExit guard{cancel};
  ASSERT_EQ(first_data.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  proxy.Close();

  ASSERT_EQ(follow.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status st = follow.get();
  ASSERT_FALSE(st.ok()) << "a cut follow must not look like a container exit";
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable) << st.error().ToString();
  EXPECT_TRUE(st.error().IsTransport());
  EXPECT_EQ(received.rfind("tick\n", 0), 0u);

  auto waited = (*wait)->Get();
  ASSERT_FALSE(waited.ok()) << "a cut wait must not look like a container exit";
  EXPECT_EQ(waited.error().code, ErrorCode::kUnavailable) << waited.error().ToString();

  // The container kept running: the engine never went away, only our socket did.
  auto info = engine_->InspectContainer(created->id);
  ASSERT_OK(info);
  EXPECT_TRUE(info->state.running);
  // And the proxied client now fails fast with the same kind.
  Status ping = proxied.Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace vpe::docker::testing
