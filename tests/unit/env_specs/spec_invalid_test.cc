// A table of invalid specs, each with the exact message a data engineer would read.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "env_specs/spec.h"
#include "tests/unit/env_specs/test_dir.h"

namespace vpe::envspec {
namespace {

struct InvalidCase {
  const char* title;
  const char* yaml;
  const char* message;
};

const std::vector<InvalidCase>& Cases() {
  static const std::vector<InvalidCase> kCases = {
      {"memory with words",
       "# Ingestion pipeline\n"
       "name: ingestion\n"
       "apt: [python3]\n"
       "env:\n"
       "  A: b\n"
       "resources:\n"
       "  memory: 512 apples\n",
       "ingestion.yml:7:3: resources.memory: expected a size like 512Mi, got '512 apples'"},
      {"empty document", "",
       "ingestion.yml:1:1: expected a mapping with at least 'name', got an empty document"},
      {"only a comment", "# nothing\n",
       "ingestion.yml:1:1: expected a mapping with at least 'name', got an empty document"},
      {"top level list", "- name: x\n",
       "ingestion.yml:1:1: expected a mapping at the top level, got a sequence"},
      {"top level string", "just text\n",
       "ingestion.yml:1:1: expected a mapping at the top level, got a string"},
      {"broken yaml", "name: x\napt: [python3\n",
       "ingestion.yml:3:1: invalid YAML: end of sequence flow not found"},
      {"two documents", "name: a\n---\nname: b\n",
       "ingestion.yml:2:1: expected one YAML document, found a second one"},
      {"document starting with a comma", "# spec\n  , name: x\n",
       "ingestion.yml:2:3: invalid YAML: unexpected ',' (quote a value that starts with a "
       "comma)"},
      {"text after a quoted value", "name: \"x\" y\n",
       "ingestion.yml:1:11: invalid YAML: unexpected text after a quoted value or a flow "
       "collection"},
      {"control character",
       "name: x\ndescription: a\x01"
       "b\n",
       "ingestion.yml:2:15: invalid YAML: control character 0x01 (specs are UTF-8 text)"},
      {"UTF-16 text", "\xFF\xFEn\0a\0",
       "ingestion.yml:1:1: invalid YAML: expected UTF-8 text, got a UTF-16 or UTF-32 byte order "
       "mark"},
      {"anchor then a comma", "name: x\napt: [a1]\n&a ,\n",
       "ingestion.yml:3:4: invalid YAML: unexpected ',' (quote a value that starts with a "
       "comma)"},
      {"missing name", "apt: [python3]\n", "ingestion.yml:1:1: name: required key is missing"},
      {"name with capitals and space", "name: My Pipeline\n",
       "ingestion.yml:1:1: name: expected a name like 'ingestion' ([a-z0-9][a-z0-9_.-]*, ending "
       "in a letter or digit, at most 64 characters), got 'My Pipeline'"},
      {"name ending in a dash", "name: ingest-\n",
       "ingestion.yml:1:1: name: expected a name like 'ingestion' ([a-z0-9][a-z0-9_.-]*, ending "
       "in a letter or digit, at most 64 characters), got 'ingest-'"},
      {"name is a list", "name: [a, b]\n",
       "ingestion.yml:1:1: name: expected a string, got a sequence"},
      {"unknown key close to apt", "name: x\naptt: [python3]\n",
       "ingestion.yml:2:1: aptt: unknown key (did you mean 'apt'?)"},
      {"unknown key differently cased", "name: x\nWorkDir: /opt\n",
       "ingestion.yml:2:1: WorkDir: unknown key (did you mean 'workdir'?)"},
      {"unknown key far from all", "name: x\ncolour: blue\n",
       "ingestion.yml:2:1: colour: unknown key (expected one of: apt, base, description, env, "
       "files, name, network, pip, resources, setup, user, workdir)"},
      {"duplicate key", "name: x\napt: [a1]\napt: [b1]\n",
       "ingestion.yml:3:1: apt: duplicate key (first at line 2)"},
      {"description is a mapping", "name: x\ndescription: {a: b}\n",
       "ingestion.yml:2:1: description: expected a string, got a mapping"},
      {"base with a space", "name: x\nbase: debian bookworm\n",
       "ingestion.yml:2:1: base: expected an image reference like vpe/debian:bookworm, got "
       "'debian bookworm'"},
      {"apt is a string", "name: x\napt: python3\n",
       "ingestion.yml:2:1: apt: expected a list of Debian package names, got a string"},
      {"apt is empty", "name: x\napt:\n",
       "ingestion.yml:2:1: apt: expected a list of Debian package names, got null"},
      {"apt item with shell", "name: x\napt: [python3, 'curl; rm -rf /']\n",
       "ingestion.yml:2:16: apt[1]: expected a Debian package name like 'python3-pandas', got "
       "'curl; rm -rf /'"},
      {"apt item is a mapping", "name: x\napt:\n  - {name: curl}\n",
       "ingestion.yml:3:5: apt[0]: expected a string, got a mapping"},
      {"pip item with shell", "name: x\npip: ['requests; rm -rf /']\n",
       "ingestion.yml:2:7: pip[0]: expected a pip requirement like 'requests==2.31.0', got "
       "'requests; rm -rf /'"},
      {"files is a mapping", "name: x\nfiles: {src: ok.py, dest: /x}\n",
       "ingestion.yml:2:1: files: expected a list of {src, dest} mappings, got a mapping"},
      {"files item is a string", "name: x\nfiles: [ok.py]\n",
       "ingestion.yml:2:9: files[0]: expected a mapping with src and dest, got a string"},
      {"files item without dest", "name: x\nfiles:\n  - src: ok.py\n",
       "ingestion.yml:3:5: files[0].dest: required key is missing"},
      {"files item with a typo", "name: x\nfiles:\n  - src: ok.py\n    dst: /opt/\n",
       "ingestion.yml:4:5: files[0].dst: unknown key (did you mean 'dest'?)"},
      {"files src absolute", "name: x\nfiles:\n  - {src: /etc/passwd, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: must be relative to the spec's directory, got "
       "'/etc/passwd'"},
      {"files src climbing out", "name: x\nfiles:\n  - {src: ../secrets, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: must stay inside the spec's directory, got '../secrets'"},
      {"files src climbing out in the middle",
       "name: x\nfiles:\n  - {src: job/../../secrets, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: must stay inside the spec's directory, got "
       "'job/../../secrets'"},
      {"files src symlink to /etc", "name: x\nfiles:\n  - {src: evil, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: 'evil' is a symlink that leads outside the spec's "
       "directory"},
      {"files src symlinked directory out", "name: x\nfiles:\n  - {src: up/x, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: 'up/x' is a symlink that leads outside the spec's "
       "directory"},
      {"files symlink inside a copied directory",
       "name: x\nfiles:\n  - {src: job/, dest: /opt/job/}\n",
       "ingestion.yml:3:6: files[0].src: 'job/leak' is a symlink that leads outside the spec's "
       "directory"},
      {"files src missing", "name: x\nfiles:\n  - {src: nope.py, dest: /x}\n",
       "ingestion.yml:3:6: files[0].src: 'nope.py' does not exist in the spec's directory"},
      {"files dest relative", "name: x\nfiles:\n  - {src: ok.py, dest: opt/x}\n",
       "ingestion.yml:3:18: files[0].dest: expected an absolute path like /opt/pipeline/, got "
       "'opt/x'"},
      {"setup is a string", "name: x\nsetup: make\n",
       "ingestion.yml:2:1: setup: expected a list of shell commands, got a string"},
      {"setup with two lines", "name: x\nsetup:\n  - |\n    echo a\n    echo b\n",
       "ingestion.yml:3:5: setup[0]: must be a single line"},
      {"env is a list", "name: x\nenv: [A=1]\n",
       "ingestion.yml:2:1: env: expected a mapping of NAME: value, got a sequence"},
      {"env name with a dash", "name: x\nenv:\n  MY-VAR: 1\n",
       "ingestion.yml:3:3: env.MY-VAR: expected a variable name like PYTHONUNBUFFERED, got "
       "'MY-VAR'"},
      {"env reserved name", "name: x\nenv:\n  VPE_RESULT: /tmp/r.json\n",
       "ingestion.yml:3:3: env.VPE_RESULT: names starting with VPE_ are reserved for vpe"},
      {"env value is a mapping", "name: x\nenv:\n  A: {b: c}\n",
       "ingestion.yml:3:3: env.A: expected a string, got a mapping"},
      {"workdir relative", "name: x\nworkdir: pipeline\n",
       "ingestion.yml:2:1: workdir: expected an absolute path like /opt/pipeline, got 'pipeline'"},
      {"user root by name", "name: x\nuser: root\n",
       "ingestion.yml:2:1: user: must not be root (use a non-root uid:gid such as 65534:65534)"},
      {"user root by uid", "name: x\nuser: '0:0'\n",
       "ingestion.yml:2:1: user: must not be root (use a non-root uid:gid such as 65534:65534)"},
      {"user with a space", "name: x\nuser: data engineer\n",
       "ingestion.yml:2:1: user: expected uid:gid like 65534:65534 or a user name, got 'data "
       "engineer'"},
      {"resources is a string", "name: x\nresources: big\n",
       "ingestion.yml:2:1: resources: expected a mapping, got a string"},
      {"resources key typo", "name: x\nresources:\n  memroy: 1Gi\n",
       "ingestion.yml:3:3: resources.memroy: unknown key (did you mean 'memory'?)"},
      {"memory too small", "name: x\nresources: {memory: 1Ki}\n",
       "ingestion.yml:2:13: resources.memory: must be at least 6Mi, got '1Ki'"},
      {"memory lowercase unit", "name: x\nresources: {memory: 512mb}\n",
       "ingestion.yml:2:13: resources.memory: expected a size like 512Mi, got '512mb'"},
      {"cpus as words", "name: x\nresources: {cpus: many}\n",
       "ingestion.yml:2:13: resources.cpus: expected a number of CPUs like 1.5, got 'many'"},
      {"cpus zero", "name: x\nresources: {cpus: 0}\n",
       "ingestion.yml:2:13: resources.cpus: must be at least 0.01, got '0'"},
      {"pids negative", "name: x\nresources: {pids: -1}\n",
       "ingestion.yml:2:13: resources.pids: expected a positive integer like 256, got '-1'"},
      {"timeout without unit", "name: x\nresources:\n  timeout: 30\n",
       "ingestion.yml:3:3: resources.timeout: expected a duration like 30m, 90s or 2h, got '30'"},
      {"network host", "name: x\nnetwork: host\n",
       "ingestion.yml:2:1: network: 'host' is not allowed (use none, bridge or a named network)"},
      {"network with a space", "name: x\nnetwork: my net\n",
       "ingestion.yml:2:1: network: expected none, bridge or a network name, got 'my net'"},
      {"conda without name", "channels: [conda-forge]\ndependencies: [python]\n",
       "ingestion.yml:1:1: name: required key is missing"},
      {"conda key typo", "name: x\nchannel: [conda-forge]\ndependencies: [python]\n",
       "ingestion.yml:2:1: channel: unknown key (did you mean 'channels'?)"},
      {"conda dependencies not a list", "name: x\ndependencies: python\n",
       "ingestion.yml:2:1: dependencies: expected a list of conda packages, got a string"},
      {"conda mapping that is not pip", "name: x\ndependencies:\n  - python\n  - {npm: [x]}\n",
       "ingestion.yml:4:6: dependencies[1].npm: unknown key (expected one of: pip)"},
      {"conda bad pip item", "name: x\ndependencies:\n  - pip:\n      - 'a b c'\n",
       "ingestion.yml:4:9: dependencies[0].pip[0]: expected a pip requirement like "
       "'requests==2.31.0', got 'a b c'"},
  };
  return kCases;
}

class InvalidSpecTest : public ::testing::TestWithParam<InvalidCase> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TestDir();
    dir_->Write("ok.py", "print('ok')\n");
    dir_->Write("job/main.py", "print('job')\n");
    dir_->Symlink("/etc/passwd", "evil");
    dir_->Symlink("..", "up");
    dir_->Symlink("/etc", "job/leak");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static testing::TestDir* dir_;
};

testing::TestDir* InvalidSpecTest::dir_ = nullptr;

TEST_P(InvalidSpecTest, FailsWithTheExactMessage) {
  const InvalidCase& c = GetParam();
  Result<Spec> spec = ParseSpec(c.yaml, "ingestion.yml", dir_->path());
  ASSERT_FALSE(spec.ok()) << c.title << ": parsed, expected: " << c.message;
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(spec.error().message, c.message) << c.title;
}

std::string CaseName(const ::testing::TestParamInfo<InvalidCase>& info) {
  std::string name;
  for (const char* p = info.param.title; *p != '\0'; ++p) {
    name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  }
  return std::to_string(info.index) + "_" + name;
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidSpecTest, ::testing::ValuesIn(Cases()), CaseName);

TEST(InvalidSpecTableTest, HasAtLeastThirtyCases) { EXPECT_GE(Cases().size(), 30u); }

TEST(InvalidSpecLimitsTest, RefusesHugeAndDeeplyNestedInput) {
  std::string huge = "name: x\ndescription: '" + std::string(300 * 1024, 'a') + "'\n";
  Result<Spec> spec = ParseSpec(huge, "big.yml", ".");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message, "big.yml: the spec is larger than 256 KiB");
  std::string deep = "name: x\nenv: " + std::string(100, '[') + std::string(100, ']') + "\n";
  spec = ParseSpec(deep, "deep.yml", ".");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message, "deep.yml: nesting deeper than 64 levels");
}

}  // namespace
}  // namespace vpe::envspec
