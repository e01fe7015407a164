// Parsing and validation of environment specs: the vpe YAML format and conda environment.yml.
// Every error names the file, the 1-based line and column, and the key path.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "env_specs/context_files.h"
#include "env_specs/spec.h"
#include "env_specs/units.h"

namespace vpe::envspec {
namespace {

// Specs are small; a bigger file is a mistake (or an attack on the YAML parser).
constexpr size_t kMaxSpecBytes = 256 * 1024;
// yaml-cpp recurses per nesting level; flow collections deeper than this are refused up front.
constexpr int kMaxFlowDepth = 64;
// Longest value checked with a regular expression (names, packages, versions).
constexpr size_t kMaxPatternText = 256;
// Longest free-text value (setup commands, env values, paths).
constexpr size_t kMaxText = 8192;

// Thrown inside this file only; ParseSpec turns it into an Error.
struct SpecFailure {
  std::string message;
};

const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

// Optimal string alignment distance: a transposition ("memroy") counts as one edit.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                            std::tolower(static_cast<unsigned char>(b[j - 1]))
                        ? 0
                        : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

bool Matches(const std::string& text, const std::regex& re) { return std::regex_match(text, re); }

// The deepest nesting of flow collections ([ and {) outside quotes; a cheap guard that keeps
// hostile input away from the recursive parser.
int FlowDepth(const std::string& text) {
  int depth = 0;
  int max_depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == '\n') {
      quote = 0;
    }
  }
  return max_depth;
}

// Problems found before yaml-cpp sees the text: more than one document (never valid here), and
// a node that starts with ',' outside a flow collection, alone or after an anchor or tag (yaml-cpp
// 0.7 loops forever on it, allocating). The scan is line based and approximate: it follows flow
// brackets outside quotes and comments and skips block scalars. Returns the message and sets
// *line/*col (1-based), or returns "".
std::string PreScan(const std::string& raw, int* line, int* col) {
  // Specs are UTF-8 text. yaml-cpp would also take UTF-16/32, announced by a byte order mark or
  // guessed from NUL bytes, and decode it before this scan could see it: refuse those up front.
  if (raw.compare(0, 2, "\xFF\xFE") == 0 || raw.compare(0, 2, "\xFE\xFF") == 0) {
    *line = *col = 1;
    return "invalid YAML: expected UTF-8 text, got a UTF-16 or UTF-32 byte order mark";
  }
  *line = 1;
  *col = 1;
  for (unsigned char c : raw) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", c);
      return std::string("invalid YAML: control character ") + hex + " (specs are UTF-8 text)";
    }
    if (c == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
  const std::string text = raw.compare(0, 3, "\xEF\xBB\xBF") == 0 ? raw.substr(3) : raw;
  bool content_seen = false;
  int flow_depth = 0;
  char quote = 0;  // an open quoted scalar, which may span lines
  bool in_block_scalar = false;
  size_t block_indent = 0;
  int ln = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    pos = end + 1;
    ++ln;
    size_t indent = l.find_first_not_of(' ');
    bool blank = l.find_first_not_of(" \t\r") == std::string::npos;
    if (in_block_scalar) {
      if (blank || indent > block_indent) continue;
      in_block_scalar = false;
    }
    if (blank) continue;
    size_t start = indent;
    if (quote == 0 && flow_depth == 0 &&
        (l.compare(0, 3, "---") == 0 || l.compare(0, 3, "...") == 0) &&
        (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')) {
      if (content_seen) {
        *line = ln;
        *col = 1;
        return "expected one YAML document, found a second one";
      }
      start = 3;
    } else if (quote == 0 && !content_seen && l[0] == '%') {
      continue;  // a directive
    }
    // Walk the line as the YAML scanner would at the level that matters here: where nodes start,
    // flow brackets, quotes and comments. Brackets inside a plain scalar ("a{b") are text.
    bool node_start = quote == 0;
    // A quoted scalar or a flow collection just ended outside any flow collection: only ':' (it
    // was a key) or a comment may follow on the line.
    bool after_node = false;
    for (size_t k = start; k < l.size(); ++k) {
      char c = l[k];
      if (quote == '"') {
        if (c == '\\') {
          ++k;
        } else if (c == '"') {
          quote = 0;
          after_node = flow_depth == 0;
        }
        continue;
      }
      if (quote == '\'') {
        if (c == '\'' && k + 1 < l.size() && l[k + 1] == '\'') {
          ++k;
        } else if (c == '\'') {
          quote = 0;
          after_node = flow_depth == 0;
        }
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') continue;
      bool space_after =
          k + 1 >= l.size() || l[k + 1] == ' ' || l[k + 1] == '\t' || l[k + 1] == '\r';
      if (c == '#' && (k == 0 || l[k - 1] == ' ' || l[k - 1] == '\t')) break;  // comment
      content_seen = true;
      if (after_node) {
        if (c != ':') {
          *line = ln;
          *col = static_cast<int>(k) + 1;
          return "invalid YAML: unexpected text after a quoted value or a flow collection";
        }
        after_node = false;
      }
      if (node_start) {
        if (c == ',' && flow_depth == 0) {
          *line = ln;
          *col = static_cast<int>(k) + 1;
          return "invalid YAML: unexpected ',' (quote a value that starts with a comma)";
        }
        if (c == '&' || c == '!') {  // anchor or tag: the node starts after it
          while (k + 1 < l.size() &&
                 std::string(" \t\r,[]{}").find(l[k + 1]) == std::string::npos) {
            ++k;
          }
          continue;
        }
        if (c == '[' || c == '{') {
          ++flow_depth;
          continue;
        }
        if (c == '"' || c == '\'') {
          quote = c;
          node_start = false;
          continue;
        }
        if ((c == '-' || c == '?') && space_after) continue;
        if ((c == '|' || c == '>') && flow_depth == 0) {
          in_block_scalar = true;
          block_indent = indent;
          break;
        }
      }
      if (flow_depth > 0 && (c == ']' || c == '}')) {
        --flow_depth;
        node_start = false;
        after_node = flow_depth == 0;
        continue;
      }
      if (flow_depth > 0 && (c == ',' || c == '[' || c == '{')) {
        if (c != ',') ++flow_depth;
        node_start = true;
        continue;
      }
      if (c == ':' && (space_after || flow_depth > 0)) {
        node_start = true;
        continue;
      }
      node_start = false;
    }
  }
  return "";
}

class Parser {
 public:
  Parser(std::string file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  Spec Parse(const std::string& text) {
    if (text.size() > kMaxSpecBytes) {
      Fail(file_ + ": the spec is larger than " + std::to_string(kMaxSpecBytes / 1024) + " KiB");
    }
    if (FlowDepth(text) > kMaxFlowDepth) {
      Fail(file_ + ": nesting deeper than " + std::to_string(kMaxFlowDepth) + " levels");
    }
    int line = 0;
    int col = 0;
    std::string problem = PreScan(text, &line, &col);
    if (!problem.empty()) {
      Fail(file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + problem);
    }
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
      Fail(file_ + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
           ": invalid YAML: " + e.msg);
    }
    if (docs.size() > 1) {
      FailAt(docs[1], "", "expected one YAML document, got " + std::to_string(docs.size()));
    }
    if (docs.empty() || docs[0].IsNull()) {
      Fail(file_ + ":1:1: expected a mapping with at least 'name', got an empty document");
    }
    const YAML::Node& root = docs[0];
    if (!root.IsMap()) {
      FailAt(root, "", std::string("expected a mapping at the top level, got ") + KindName(root));
    }
    Spec spec;
    spec.source_path = file_;
    spec.base_dir = base_dir_;
    if (root["dependencies"] || root["channels"]) {
      ParseConda(root, &spec);
    } else {
      ParseVpe(root, &spec);
    }
    return spec;
  }

 private:
  // One key of a mapping, with the key node for its position.
  struct Entry {
    YAML::Node key;
    YAML::Node value;
  };
  using Entries = std::map<std::string, Entry>;

  [[noreturn]] void Fail(const std::string& message) { throw SpecFailure{message}; }

  std::string Where(const YAML::Node& n) {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return file_ + ":1:1";
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  [[noreturn]] void FailAt(const YAML::Node& n, const std::string& path,
                           const std::string& message) {
    Fail(Where(n) + ": " + (path.empty() ? "" : path + ": ") + message);
  }

  static std::string Child(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  // Reads a mapping's keys, refusing duplicates, non-string keys and keys outside `allowed`.
  Entries ReadMap(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>& allowed) {
    Entries entries;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;  // `it->` yields a temporary: copy the handles
      if (!key.IsScalar()) {
        FailAt(key, path, std::string("expected a string key, got ") + KindName(key));
      }
      std::string name = key.Scalar();
      std::string key_path = Child(path, name);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        FailAt(key, key_path, "unknown key " + Suggest(name, allowed));
      }
      const YAML::Node value = it->second;
      auto [pos, inserted] = entries.emplace(name, Entry{key, value});
      if (!inserted) {
        FailAt(key, key_path,
               "duplicate key (first at line " + std::to_string(pos->second.key.Mark().line + 1) +
                   ")");
      }
    }
    return entries;
  }

  static std::string Suggest(const std::string& name, std::vector<std::string> allowed) {
    std::sort(allowed.begin(), allowed.end());
    std::string best;
    size_t best_distance = 3;
    for (const std::string& candidate : allowed) {
      size_t d = EditDistance(name, candidate);
      if (d < best_distance && d < candidate.size()) {
        best = candidate;
        best_distance = d;
      }
    }
    if (!best.empty()) return "(did you mean '" + best + "'?)";
    return "(expected one of: " + Join(allowed, ", ") + ")";
  }

  void Require(const Entries& entries, const YAML::Node& map, const std::string& path,
               const std::string& key) {
    if (entries.count(key) == 0) FailAt(map, Child(path, key), "required key is missing");
  }

  // A scalar's text; `at` is where an error is reported (the key for a mapping value).
  std::string String(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (!value.IsScalar())
      FailAt(at, path, std::string("expected a string, got ") + KindName(value));
    if (value.Scalar().size() > kMaxText) {
      FailAt(at, path,
             "expected at most " + std::to_string(kMaxText) + " characters, got " +
                 std::to_string(value.Scalar().size()));
    }
    return value.Scalar();
  }

  std::string StringWith(const YAML::Node& value, const YAML::Node& at, const std::string& path,
                         const std::regex& re, const std::string& expected) {
    std::string s = String(value, at, path);
    // libstdc++'s regex recurses per character: keep long text away from it.
    if (s.size() > kMaxPatternText) {
      FailAt(
          at, path,
          "expected " + expected + ", got a value of " + std::to_string(s.size()) + " characters");
    }
    if (!Matches(s, re)) FailAt(at, path, "expected " + expected + ", got '" + s + "'");
    return s;
  }

  // A list of strings each matching `re`; errors on an item point at the item.
  std::vector<std::string> StringList(const Entry& e, const std::string& path, const std::regex& re,
                                      const std::string& list_expected,
                                      const std::string& item_expected) {
    if (!e.value.IsSequence()) {
      FailAt(e.key, path, "expected a list of " + list_expected + ", got " + KindName(e.value));
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < e.value.size(); ++i) {
      const YAML::Node item = e.value[i];
      std::string item_path = path + "[" + std::to_string(i) + "]";
      out.push_back(StringWith(item, item, item_path, re, item_expected));
    }
    return out;
  }

  static const std::regex& NameRe() {
    // Usable as a Docker repository path component: separators only between letters/digits.
    static const std::regex re("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*");
    return re;
  }

  std::string ParseName(const Entry& e) {
    std::string name = String(e.value, e.key, "name");
    if (name.size() > 64) FailAt(e.key, "name", "is longer than 64 characters");
    if (!Matches(name, NameRe())) {
      FailAt(e.key, "name",
             "expected a name like 'ingestion' ([a-z0-9][a-z0-9_.-]*, ending in a letter or "
             "digit, at most 64 characters), got '" +
                 name + "'");
    }
    return name;
  }

  std::string ParseBase(const Entry& e) {
    static const std::regex re("[A-Za-z0-9][A-Za-z0-9._/:@+-]*");
    return StringWith(e.value, e.key, "base", re, "an image reference like vpe/debian:bookworm");
  }

  std::string ParseAbsolutePath(const Entry& e, const std::string& path,
                                const std::string& example) {
    std::string s = String(e.value, e.key, path);
    if (s.empty() || s[0] != '/' || s.find_first_of("\n\r\"\\") != std::string::npos) {
      FailAt(e.key, path, "expected an absolute path like " + example + ", got '" + s + "'");
    }
    return s;
  }

  std::string ParseUser(const Entry& e) {
    std::string s = String(e.value, e.key, "user");
    if (s.size() > kMaxPatternText) FailAt(e.key, "user", "is too long");
    static const std::regex numeric("[0-9]+(:[0-9]+)?");
    static const std::regex named("[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*|:[0-9]+)?");
    if (!Matches(s, numeric) && !Matches(s, named)) {
      FailAt(e.key, "user", "expected uid:gid like 65534:65534 or a user name, got '" + s + "'");
    }
    std::string who = s.substr(0, s.find(':'));
    if (who == "root" || std::all_of(who.begin(), who.end(), [](char c) { return c == '0'; })) {
      FailAt(e.key, "user", "must not be root (use a non-root uid:gid such as 65534:65534)");
    }
    return s;
  }

  std::string ParseNetwork(const Entry& e) {
    std::string s = String(e.value, e.key, "network");
    if (s.size() > kMaxPatternText) FailAt(e.key, "network", "is too long");
    if (s == "host" || s.rfind("container:", 0) == 0) {
      FailAt(e.key, "network", "'" + s + "' is not allowed (use none, bridge or a named network)");
    }
    static const std::regex re("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    if (!Matches(s, re)) {
      FailAt(e.key, "network", "expected none, bridge or a network name, got '" + s + "'");
    }
    return s;
  }

  std::map<std::string, std::string> ParseEnvMap(const Entry& e, const std::string& path) {
    if (!e.value.IsMap()) {
      FailAt(e.key, path,
             std::string("expected a mapping of NAME: value, got ") + KindName(e.value));
    }
    static const std::regex name_re("[A-Za-z_][A-Za-z0-9_]*");
    std::map<std::string, std::string> out;
    for (auto it = e.value.begin(); it != e.value.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value_node = it->second;
      if (!key.IsScalar()) {
        FailAt(key, path, std::string("expected a string key, got ") + KindName(key));
      }
      std::string name = key.Scalar();
      std::string key_path = Child(path, name);
      if (name.size() > kMaxPatternText || !Matches(name, name_re)) {
        FailAt(key, key_path, "expected a variable name like PYTHONUNBUFFERED, got '" + name + "'");
      }
      if (name.rfind("VPE_", 0) == 0) {
        FailAt(key, key_path, "names starting with VPE_ are reserved for vpe");
      }
      std::string value = String(value_node, key, key_path);
      if (value.find_first_of("\n\r") != std::string::npos) {
        FailAt(key, key_path, "must be a single line");
      }
      if (!out.emplace(name, value).second) {
        FailAt(key, key_path, "duplicate key");
      }
    }
    return out;
  }

  void ParseFiles(const Entry& e, Spec* spec) {
    if (!e.value.IsSequence()) {
      FailAt(e.key, "files",
             std::string("expected a list of {src, dest} mappings, got ") + KindName(e.value));
    }
    int64_t total_bytes = 0;
    for (size_t i = 0; i < e.value.size(); ++i) {
      const YAML::Node item = e.value[i];
      std::string path = "files[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        FailAt(item, path,
               std::string("expected a mapping with src and dest, got ") + KindName(item));
      }
      Entries entries = ReadMap(item, path, {"src", "dest"});
      Require(entries, item, path, "src");
      Require(entries, item, path, "dest");
      FileCopy copy;
      const Entry& src = entries.at("src");
      copy.src = String(src.value, src.key, path + ".src");
      copy.dest = ParseAbsolutePath(entries.at("dest"), path + ".dest", "/opt/pipeline/");
      std::string problem =
          CollectContextFiles(base_dir_, copy.src, static_cast<int>(i), &total_bytes,
                              &spec->context_files, &copy.context_path);
      if (!problem.empty()) FailAt(src.key, path + ".src", problem);
      spec->files.push_back(std::move(copy));
    }
  }

  std::vector<std::string> ParseSetup(const Entry& e) {
    if (!e.value.IsSequence()) {
      FailAt(e.key, "setup",
             std::string("expected a list of shell commands, got ") + KindName(e.value));
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < e.value.size(); ++i) {
      const YAML::Node item = e.value[i];
      std::string path = "setup[" + std::to_string(i) + "]";
      std::string cmd = String(item, item, path);
      if (cmd.find_first_of("\n\r") != std::string::npos)
        FailAt(item, path, "must be a single line");
      if (cmd.find_first_not_of(" \t") == std::string::npos)
        FailAt(item, path, "must not be empty");
      out.push_back(cmd);
    }
    return out;
  }

  void ParseResources(const Entry& e, Resources* r) {
    if (!e.value.IsMap()) {
      FailAt(e.key, "resources", std::string("expected a mapping, got ") + KindName(e.value));
    }
    Entries entries = ReadMap(e.value, "resources", {"memory", "cpus", "pids", "timeout"});
    if (auto it = entries.find("memory"); it != entries.end()) {
      std::string s = String(it->second.value, it->second.key, "resources.memory");
      std::optional<int64_t> bytes = ParseSize(s);
      if (!bytes) {
        FailAt(it->second.key, "resources.memory", "expected a size like 512Mi, got '" + s + "'");
      }
      // The engine refuses less than 6 MiB.
      if (*bytes < (6LL << 20)) {
        FailAt(it->second.key, "resources.memory", "must be at least 6Mi, got '" + s + "'");
      }
      r->memory_bytes = *bytes;
    }
    if (auto it = entries.find("cpus"); it != entries.end()) {
      std::string s = String(it->second.value, it->second.key, "resources.cpus");
      static const std::regex re("[0-9]+(\\.[0-9]+)?|\\.[0-9]+");
      if (s.size() > 12 || !Matches(s, re)) {
        FailAt(it->second.key, "resources.cpus",
               "expected a number of CPUs like 1.5, got '" + s + "'");
      }
      double cpus = std::strtod(s.c_str(), nullptr);
      if (cpus < 0.01) {
        FailAt(it->second.key, "resources.cpus", "must be at least 0.01, got '" + s + "'");
      }
      r->cpus = cpus;
    }
    if (auto it = entries.find("pids"); it != entries.end()) {
      std::string s = String(it->second.value, it->second.key, "resources.pids");
      static const std::regex re("[1-9][0-9]{0,8}");
      if (s.size() > 12 || !Matches(s, re)) {
        FailAt(it->second.key, "resources.pids",
               "expected a positive integer like 256, got '" + s + "'");
      }
      r->pids = std::stoll(s);
    }
    if (auto it = entries.find("timeout"); it != entries.end()) {
      std::string s = String(it->second.value, it->second.key, "resources.timeout");
      std::optional<std::chrono::milliseconds> d = ParseDuration(s);
      if (!d) {
        FailAt(it->second.key, "resources.timeout",
               "expected a duration like 30m, 90s or 2h, got '" + s + "'");
      }
      r->timeout = *d;
    }
  }

  static const std::regex& AptRe() {
    static const std::regex re("[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?");
    return re;
  }
  static const std::regex& PipRe() {
    // A name, optional extras, optional version clauses; nothing a shell would interpret.
    static const std::regex re(
        "[A-Za-z0-9][A-Za-z0-9._-]*(\\[[A-Za-z0-9._,-]+\\])?"
        "( *(==|>=|<=|~=|!=|<|>|===) *[A-Za-z0-9.*+!_-]+( *,)?)*");
    return re;
  }

  void ParseVpe(const YAML::Node& root, Spec* spec) {
    spec->kind = SpecKind::kVpe;
    Entries entries = ReadMap(root, "",
                              {"name", "description", "base", "apt", "pip", "files", "setup", "env",
                               "workdir", "user", "resources", "network"});
    Require(entries, root, "", "name");
    spec->name = ParseName(entries.at("name"));
    spec->base = kDefaultBase;
    spec->workdir = kDefaultWorkdir;
    spec->user = kDefaultUser;
    spec->network = kDefaultNetwork;
    for (const auto& [key, e] : entries) {
      if (key == "description") {
        spec->description = String(e.value, e.key, key);
      } else if (key == "base") {
        spec->base = ParseBase(e);
      } else if (key == "apt") {
        spec->apt = StringList(e, key, AptRe(), "Debian package names",
                               "a Debian package name like 'python3-pandas'");
      } else if (key == "pip") {
        spec->pip = StringList(e, key, PipRe(), "pip requirements",
                               "a pip requirement like 'requests==2.31.0'");
      } else if (key == "files") {
        ParseFiles(e, spec);
      } else if (key == "setup") {
        spec->setup = ParseSetup(e);
      } else if (key == "env") {
        spec->env = ParseEnvMap(e, key);
      } else if (key == "workdir") {
        spec->workdir = ParseAbsolutePath(e, key, "/opt/pipeline");
      } else if (key == "user") {
        spec->user = ParseUser(e);
      } else if (key == "resources") {
        ParseResources(e, &spec->resources);
      } else if (key == "network") {
        spec->network = ParseNetwork(e);
      }
    }
  }

  // conda environment.yml: name, channels, dependencies (match specs and one {pip: [...]}),
  // variables; `prefix` (a path on the machine that exported it) is accepted and ignored.
  void ParseConda(const YAML::Node& root, Spec* spec) {
    spec->kind = SpecKind::kConda;
    Entries entries =
        ReadMap(root, "", {"name", "channels", "dependencies", "variables", "prefix"});
    Require(entries, root, "", "name");
    Require(entries, root, "", "dependencies");
    spec->name = ParseName(entries.at("name"));
    spec->base = kDefaultCondaBase;
    spec->workdir = kDefaultWorkdir;
    spec->user = kDefaultUser;
    spec->network = kDefaultNetwork;
    static const std::regex channel_re("[A-Za-z0-9][A-Za-z0-9._/:+-]*");
    static const std::regex match_spec_re(
        "[A-Za-z0-9_][A-Za-z0-9._-]*( *[=<>!~][A-Za-z0-9.*=<>!,|_+-]*)?( +[A-Za-z0-9.*_+-]+)?");
    if (auto it = entries.find("channels"); it != entries.end()) {
      spec->conda.channels = StringList(it->second, "channels", channel_re, "conda channels",
                                        "a channel like conda-forge");
    }
    const Entry& deps = entries.at("dependencies");
    if (!deps.value.IsSequence()) {
      FailAt(deps.key, "dependencies",
             std::string("expected a list of conda packages, got ") + KindName(deps.value));
    }
    bool seen_pip = false;
    for (size_t i = 0; i < deps.value.size(); ++i) {
      const YAML::Node item = deps.value[i];
      std::string path = "dependencies[" + std::to_string(i) + "]";
      if (item.IsMap()) {
        Entries pip = ReadMap(item, path, {"pip"});
        if (pip.empty()) FailAt(item, path, "expected a {pip: [...]} entry, got an empty mapping");
        if (seen_pip) FailAt(item, path, "only one pip list is allowed");
        seen_pip = true;
        spec->conda.pip = StringList(pip.at("pip"), path + ".pip", PipRe(), "pip requirements",
                                     "a pip requirement like 'requests==2.31.0'");
        continue;
      }
      spec->conda.dependencies.push_back(StringWith(
          item, item, path, match_spec_re, "a conda package like 'pandas=2.1' or {pip: [...]}"));
    }
    if (auto it = entries.find("variables"); it != entries.end()) {
      spec->conda.variables = ParseEnvMap(it->second, "variables");
    }
    if (auto it = entries.find("prefix"); it != entries.end()) {
      String(it->second.value, it->second.key, "prefix");
    }
  }

  std::string file_;
  std::string base_dir_;
};

}  // namespace

Result<Spec> ParseSpec(const std::string& yaml_text, const std::string& file_name_for_errors,
                       const std::string& base_dir) {
  try {
    Parser parser(file_name_for_errors, base_dir);
    Spec spec = parser.Parse(yaml_text);
    spec.hash = ComputeSpecHash(spec);
    return spec;
  } catch (const SpecFailure& f) {
    return Error(ErrorCode::kInvalidArgument, f.message);
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::kInvalidArgument,
                 file_name_for_errors + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, file_name_for_errors + ": " + e.what());
  }
}

Result<Spec> ParseSpecFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return Error(ErrorCode::kInvalidArgument, path + ": is a directory, expected a spec file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, path + ": cannot open the spec file");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSpecBytes) break;  // ParseSpec reports the size
  }
  std::string dir = fs::path(path).parent_path().string();
  return ParseSpec(text, path, dir.empty() ? "." : dir);
}

}  // namespace vpe::envspec
