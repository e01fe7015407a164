#include "docker_api/errors.h"

#include <gtest/gtest.h>

namespace vpe::docker {
namespace {

TEST(HttpErrorTest, NotFoundCarriesEngineMessage) {
  Error e = HttpError(404, R"({"message":"No such container: abc"})", "inspect container abc");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.message, "inspect container abc: engine answered 404: No such container: abc");
}

TEST(HttpErrorTest, ConflictIsAlreadyExistsOnlyForCreate) {
  const char* body = R"({"message":"Conflict. The container name \"/x\" is already in use"})";
  Error create = HttpError(409, body, "create container x", CallKind::kCreate);
  EXPECT_EQ(create.code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(create.http_status, 409);
  EXPECT_NE(create.message.find("already in use"), std::string::npos);
  Error other = HttpError(409, R"({"message":"Container x is not running"})", "kill container x");
  EXPECT_EQ(other.code, ErrorCode::kEngine);
  EXPECT_EQ(other.http_status, 409);
}

TEST(HttpErrorTest, OtherStatusesAreEngineErrors) {
  Error e = HttpError(500, R"({"message":"driver failed"})", "start container x");
  EXPECT_EQ(e.code, ErrorCode::kEngine);
  EXPECT_EQ(e.http_status, 500);
  EXPECT_NE(e.message.find("driver failed"), std::string::npos);
  EXPECT_EQ(HttpError(400, "", "x").code, ErrorCode::kEngine);
}

TEST(EngineMessageTest, FallsBackToBodyOrStatus) {
  EXPECT_EQ(EngineMessage(502, "  Bad Gateway\n"), "Bad Gateway");
  EXPECT_EQ(EngineMessage(500, ""), "HTTP 500");
  EXPECT_EQ(EngineMessage(500, R"({"other":1})"), R"({"other":1})");
  std::string huge(10000, 'x');
  EXPECT_LT(EngineMessage(500, huge).size(), 2100u);
}

TEST(TransportErrorTest, IsUnavailableAndNamesEndpoint) {
  Error e = TransportError("unix:///run/d.sock", "follow logs of container abc",
                           "connection lost mid-stream (Read)");
  EXPECT_EQ(e.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(e.IsTransport());
  EXPECT_NE(e.message.find("unix:///run/d.sock"), std::string::npos);
  EXPECT_NE(e.message.find("follow logs of container abc"), std::string::npos);
}

TEST(RemovalInProgressTest, RecognisesOnlyThatConflict) {
  EXPECT_TRUE(
      IsRemovalInProgress(409, R"({"message":"removal of container abc is already in progress"})"));
  EXPECT_FALSE(IsRemovalInProgress(409, R"({"message":"You cannot remove a running container"})"));
  EXPECT_FALSE(
      IsRemovalInProgress(500, R"({"message":"removal of container abc is already in progress"})"));
}

}  // namespace
}  // namespace vpe::docker
