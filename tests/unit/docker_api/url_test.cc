#include "docker_api/url.h"

#include <gtest/gtest.h>

namespace vpe::docker {
namespace {

TEST(UrlTest, EscapesQueryValues) {
  EXPECT_EQ(QueryEscape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(QueryEscape(R"({"label":{"x=y":true}})"),
            "%7B%22label%22%3A%7B%22x%3Dy%22%3Atrue%7D%7D");
  EXPECT_EQ(QueryEscape("safe-._~AZaz09"), "safe-._~AZaz09");
}

TEST(UrlTest, PathEscapeKeepsImageReferenceSeparators) {
  EXPECT_EQ(PathEscape("vpe/debian:bookworm"), "vpe/debian:bookworm");
  EXPECT_EQ(PathEscape("a b?c#d"), "a%20b%3Fc%23d");
}

TEST(UrlTest, BuildsQueryInOrder) {
  EXPECT_EQ(Query().str(), "");
  EXPECT_EQ(Query().Add("t", "a:1").Add("t", "b:2").Add("rm", true).Add("n", 5).str(),
            "?t=a%3A1&t=b%3A2&rm=1&n=5");
}

}  // namespace
}  // namespace vpe::docker
