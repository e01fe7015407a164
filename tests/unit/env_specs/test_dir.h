#pragma once
// A temporary directory for spec tests, removed with everything in it when the object goes.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace vpe::envspec::testing {

class TestDir {
 public:
  TestDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vpe-envspec-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& rel) const { return path_ + "/" + rel; }

  // Writes `content` to rel (creating parent directories) with permission bits `mode`.
  void Write(const std::string& rel, const std::string& content, int mode = 0644) const {
    std::filesystem::path p = Path(rel);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    std::filesystem::permissions(p, static_cast<std::filesystem::perms>(mode));
  }
  void Symlink(const std::string& target, const std::string& rel) const {
    std::filesystem::create_symlink(target, Path(rel));
  }

 private:
  std::string path_;
};

}  // namespace vpe::envspec::testing
