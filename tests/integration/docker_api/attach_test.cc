// Attach before start: the whole output arrives live, streams apart, even past the json-file
// driver's rotation size (where a logs follow loses or repeats data on this engine).
#include <future>
#include <string>

#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

class AttachTest : public EngineTest {};

TEST_F(AttachTest, ReceivesWholeOutputOfAFastWriterPastLogRotation) {
  // 30 MB of stdout in 1000-byte lines plus a marker on stderr, with a 1 MB rotating json-file.
  ContainerSpec spec = Spec({"python3", "-c",
                             "import sys\n"
                             "line = 'x' * 999 + '\\n'\n"
                             "for i in range(30000): sys.stdout.write(line)\n"
                             "sys.stdout.write('LAST\\n'); sys.stderr.write('ERR\\n')\n"});
  spec.host.log_driver = "json-file";
  spec.host.log_opts = {{"max-size", "1m"}, {"max-file", "1"}};
  auto created = engine_->CreateContainer(spec);
  ASSERT_OK(created);
  const std::string id = created->id;
  auto wait = engine_->Wait(id, WaitCondition::kNextExit);
  ASSERT_OK(wait);

  std::promise<void> attached;
  int64_t out_bytes = 0;
  std::string out_tail, err;
  auto follower = std::async(std::launch::async, [&] {
    return engine_->Attach(
        id, /*tty=*/false,
        [&](StreamKind kind, std::string_view data) {
          if (kind == StreamKind::kStderr) {
            err.append(data);
          } else {
            out_bytes += static_cast<int64_t>(data.size());
            out_tail.append(data);
            if (out_tail.size() > 4096) out_tail.erase(0, out_tail.size() - 4096);
          }
          return true;
        },
        [&] { attached.set_value(); });
  });
  ASSERT_EQ(attached.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_OK(engine_->StartContainer(id));
  auto code = (*wait)->Get();
  ASSERT_OK(code);
  EXPECT_EQ(code->status_code, 0);
  ASSERT_OK(follower.get());
  EXPECT_EQ(out_bytes, 30000 * 1000 + 5);
  EXPECT_EQ(out_tail.substr(out_tail.size() - 5), "LAST\n");
  EXPECT_EQ(err, "ERR\n");
}

TEST_F(AttachTest, UnknownContainerIsNotFound) {
  Status s = engine_->Attach(
      "no-such-container-" + run_id_, false, [](StreamKind, std::string_view) { return true; },
      nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound) << s.error().message;
}

}  // namespace
}  // namespace vpe::docker::testing
