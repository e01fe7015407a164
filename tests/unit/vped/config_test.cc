#include "orchestrator/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace vpe::orch {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/vped-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, FileOverridesDefaults) {
  std::string p = WriteTemp(
      "listen: [127.0.0.1:7000, unix:/run/vped.sock]\n"
      "max_concurrent: 8\n"
      "default_timeout: 5m\n"
      "log_cap: 4Mi\n"
      "env_concurrency: {ingestion: 2}\n"
      "policy: {allowed_networks: [none, bridge], allowed_volumes: [data]}\n");
  auto c = LoadConfigFile(p, Config{});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen.size(), 2u);
  EXPECT_EQ(c->max_concurrent, 8);
  EXPECT_EQ(c->default_timeout, std::chrono::minutes(5));
  EXPECT_EQ(c->log_cap_bytes, 4 << 20);
  EXPECT_EQ(c->env_concurrency.at("ingestion"), 2);
  EXPECT_EQ(c->policy.allowed_networks.count("bridge"), 1u);
  EXPECT_EQ(c->policy.allowed_volumes.count("data"), 1u);
  std::remove(p.c_str());
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  std::string p = WriteTemp("max_concurrent: 2\nmax_concurency: 3\n");
  auto c = LoadConfigFile(p, Config{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, p + ":2:1: max_concurency: unknown key");
  std::remove(p.c_str());
}

TEST(ConfigTest, BadDurationNamesKey) {
  std::string p = WriteTemp("default_timeout: soon\n");
  auto c = LoadConfigFile(p, Config{});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(":1:18: default_timeout: expected a duration"),
            std::string::npos)
      << c.error().message;
  std::remove(p.c_str());
}

TEST(ConfigTest, MissingFileIsAClearError) {
  auto c = LoadConfigFile("/nonexistent/vped.yml", Config{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "/nonexistent/vped.yml: cannot read the config file");
}

TEST(ConfigTest, ParsesSizesAndDurations) {
  EXPECT_EQ(*ParseSize("512Mi"), 512LL << 20);
  EXPECT_EQ(*ParseSize("1G"), 1000000000LL);
  EXPECT_FALSE(ParseSize("lots").ok());
  EXPECT_EQ(*ParseDuration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*ParseDuration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

}  // namespace
}  // namespace vpe::orch
