#include "env_specs/context_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace vpe::envspec {
namespace fs = std::filesystem;
namespace {

// True when `p` is `root` or below it; both canonical.
bool IsInside(const fs::path& root, const fs::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

bool ReadWholeFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return false;
  *out = ss.str();
  return true;
}

int ModeOf(const fs::file_status& st) { return static_cast<int>(st.permissions()) & 07777; }

class Collector {
 public:
  Collector(fs::path root, int64_t* total_bytes, std::vector<ContextFile>* out)
      : root_(std::move(root)), total_bytes_(total_bytes), out_(out) {}

  // Adds `disk` (already known to be inside root) as context path `ctx`. `shown` is the path
  // as the user would name it, for messages.
  std::string Add(const fs::path& disk, const std::string& ctx, const std::string& shown) {
    std::error_code ec;
    fs::file_status lst = fs::symlink_status(disk, ec);
    if (ec) return "cannot read '" + shown + "': " + ec.message();
    fs::path real = fs::canonical(disk, ec);
    if (ec) {
      if (fs::is_symlink(lst)) return "'" + shown + "' is a symlink to a path that does not exist";
      return "cannot resolve '" + shown + "': " + ec.message();
    }
    if (!IsInside(root_, real)) {
      return "'" + shown + "' is a symlink that leads outside the spec's directory";
    }
    fs::file_status st = fs::status(real, ec);
    if (ec) return "cannot read '" + shown + "': " + ec.message();
    if (fs::is_regular_file(st)) {
      ContextFile f;
      f.path = ctx;
      f.mode = ModeOf(st);
      if (!ReadWholeFile(real, &f.content)) return "cannot read '" + shown + "'";
      *total_bytes_ += static_cast<int64_t>(f.content.size());
      if (*total_bytes_ > kMaxContextBytes) {
        return "copied files exceed " + std::to_string(kMaxContextBytes >> 20) + " MiB";
      }
      out_->push_back(std::move(f));
      return "";
    }
    if (!fs::is_directory(st)) return "'" + shown + "' is not a regular file or a directory";
    // A directory symlink back to one of its ancestors would recurse forever.
    if (!open_dirs_.insert(real.string()).second) {
      return "'" + shown + "' is a symlink loop";
    }
    ContextFile d;
    d.path = ctx;
    d.is_dir = true;
    d.mode = ModeOf(st);
    out_->push_back(std::move(d));
    std::vector<std::string> names;
    for (fs::directory_iterator it(disk, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) return "cannot list '" + shown + "': " + ec.message();
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string problem = Add(disk / name, ctx + "/" + name, shown + "/" + name);
      if (!problem.empty()) return problem;
    }
    open_dirs_.erase(real.string());
    return "";
  }

 private:
  fs::path root_;
  int64_t* total_bytes_;
  std::vector<ContextFile>* out_;
  std::set<std::string> open_dirs_;
};

}  // namespace

std::string CollectContextFiles(const std::string& base_dir, const std::string& src, int index,
                                int64_t* total_bytes, std::vector<ContextFile>* out,
                                std::string* context_path) {
  if (src.empty()) return "expected a path relative to the spec's directory, got ''";
  fs::path rel(src);
  if (rel.is_absolute()) {
    return "must be relative to the spec's directory, got '" + src + "'";
  }
  fs::path norm = rel.lexically_normal();
  if (!norm.empty() && *norm.begin() == "..") {
    return "must stay inside the spec's directory, got '" + src + "'";
  }
  std::error_code ec;
  fs::path root = fs::canonical(base_dir.empty() ? "." : base_dir, ec);
  if (ec) return "cannot resolve the spec's directory '" + base_dir + "': " + ec.message();
  fs::path disk = root / norm;
  // Strip a trailing '/' ("ingestion/" normalises to "ingestion/" with an empty filename).
  std::string shown = norm.string();
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  // A symlink on the way may lead out even when the file it names does not exist.
  fs::path resolved = fs::weakly_canonical(root / shown, ec);
  if (!ec && !IsInside(root, resolved)) {
    return "'" + shown + "' is a symlink that leads outside the spec's directory";
  }
  if (!fs::exists(fs::symlink_status(root / shown, ec))) {
    return "'" + src + "' does not exist in the spec's directory";
  }
  std::string ctx = "files/" + std::to_string(index);
  bool is_dir = fs::is_directory(root / shown, ec);
  std::string name = fs::path(shown).filename().string();
  if (shown == ".") is_dir = true;
  std::vector<ContextFile> entries;
  Collector collector(root, total_bytes, &entries);
  std::string problem = is_dir ? collector.Add(root / shown, ctx, shown)
                               : collector.Add(root / shown, ctx + "/" + name, shown);
  if (!problem.empty()) return problem;
  std::sort(entries.begin(), entries.end(),
            [](const ContextFile& a, const ContextFile& b) { return a.path < b.path; });
  for (ContextFile& e : entries) out->push_back(std::move(e));
  *context_path = is_dir ? ctx + "/" : ctx + "/" + name;
  return "";
}

}  // namespace vpe::envspec
