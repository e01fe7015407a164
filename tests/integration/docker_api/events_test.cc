// Events: a label-filtered subscription sees a container's start and die.
#include <chrono>
#include <ctime>
#include <future>

#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

class EventsTest : public EngineTest {};

TEST_F(EventsTest, SubscriptionSeesStartAndDieWithLabelFilter) {
  // `since` replays from just before the create, so no event can slip past the subscription.
  const int64_t since = static_cast<int64_t>(std::time(nullptr)) - 1;
  Filters filters = TestFilter();
  filters["label"].push_back("io.vpe.test.events=watched");
  filters["type"] = {"container"};
  filters["event"] = {"create", "start", "die"};
  auto cancel = std::make_shared<CancelToken>();
  std::vector<Event> seen;
  auto subscription = std::async(std::launch::async, [&] {
    return engine_->Events(
        filters,
        [&](const Event& e) {
          seen.push_back(e);
          return e.action != "die";
        },
        cancel, since);
  });
  // Declared after the future: a failed ASSERT cancels before the future's destructor waits.
  CancelOnExit guard{cancel};
  // A container without the watched label must not show up.
  ASSERT_OK(RunToExit(Spec({"true"})));

  std::string id;
  ContainerSpec watched = Shell("exit 5");
  watched.labels["io.vpe.test.events"] = "watched";
  auto code = RunToExit(watched, &id);
  ASSERT_OK(code);
  ASSERT_EQ(*code, 5);
  if (subscription.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    cancel->Cancel();
  }
  Status st = subscription.get();
  ASSERT_OK(st);
  std::vector<std::string> actions;
  for (const Event& e : seen) {
    EXPECT_EQ(e.type, "container");
    EXPECT_EQ(e.id, id);
    EXPECT_EQ(e.attributes.at(kRunLabel), run_id_);
    EXPECT_GT(e.time_nano, 0);
    actions.push_back(e.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "die"}));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().attributes.at("exitCode"), "5");
}

TEST_F(EventsTest, CancelEndsAQuietSubscription) {
  auto cancel = std::make_shared<CancelToken>();
  Filters filters = TestFilter();
  auto subscription = std::async(std::launch::async, [&] {
    return engine_->Events(
        filters, [](const Event&) { return true; }, cancel);
  });
  EXPECT_EQ(subscription.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  cancel->Cancel();
  ASSERT_EQ(subscription.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status st = subscription.get();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kCancelled);
}

}  // namespace
}  // namespace vpe::docker::testing
