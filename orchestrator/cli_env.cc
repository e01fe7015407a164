#include "orchestrator/cli_env.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "docker_api/client.h"
#include "env_specs/render.h"
#include "env_specs/units.h"
#include "orchestrator/env_catalog.h"
#include "orchestrator/image_manager.h"

namespace vpe::orch {
namespace {

using Json = nlohmann::json;

struct Common {
  std::string specs_dir = "env_specs/examples";
  std::string docker_host;
  bool json = false;
};

std::string DefaultDockerHost() {
  const char* h = std::getenv("DOCKER_HOST");
  return h != nullptr && *h != '\0' ? h : docker::kDefaultDockerHost;
}

void PrintError(const Error& e) { std::cerr << "vpe env: " << e.message << "\n"; }

Result<EnvCatalog> LoadCatalog(const Common& c) {
  Result<EnvCatalog> catalog = EnvCatalog::Load(c.specs_dir);
  if (!catalog.ok()) return catalog.error();
  return catalog;
}

Result<std::unique_ptr<docker::Client>> ConnectEngine(const Common& c) {
  docker::ConnectOptions options;
  options.host = c.docker_host;
  Result<std::unique_ptr<docker::Client>> client = docker::Client::Connect(options);
  if (!client.ok())
    return client.error().WithContext("connecting to the Docker engine at " + c.docker_host);
  return client;
}

std::string Seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(ms.count() < 10000 ? 2 : 1) << ms.count() / 1000.0 << "s";
  return s.str();
}

// How an environment's image stands on the engine.
struct ImageState {
  bool known = false;  // false: the engine could not be asked
  bool present = false;
  std::string id;
  std::string created;
  int64_t size = 0;
};

ImageState Inspect(docker::Engine* engine, const std::string& tag) {
  ImageState s;
  if (engine == nullptr) return s;
  Result<docker::ImageInfo> info = engine->InspectImage(tag);
  if (info.ok()) {
    s.known = s.present = true;
    s.id = info->id;
    s.created = info->created;
    s.size = info->size;
  } else {
    s.known = info.error().code == ErrorCode::kNotFound;
  }
  return s;
}

std::string StateText(const ImageState& s) {
  if (!s.known) return "unknown";
  return s.present ? "built" : "missing";
}

// ---- list -----------------------------------------------------------------------------------

int RunList(const Common& c) {
  Result<EnvCatalog> catalog = LoadCatalog(c);
  if (!catalog.ok()) return PrintError(catalog.error()), 1;
  Result<std::unique_ptr<docker::Client>> engine = ConnectEngine(c);
  if (!engine.ok()) std::cerr << "vpe env: warning: " << engine.error().message << "\n";
  docker::Engine* e = engine.ok() ? engine->get() : nullptr;
  Json out = Json::array();
  std::vector<std::vector<std::string>> rows = {{"NAME", "IMAGE", "STATUS", "DESCRIPTION"}};
  for (const auto& [name, spec] : catalog->specs()) {
    std::string tag = envspec::ImageTag(spec);
    ImageState st = Inspect(e, tag);
    out.push_back({{"name", name},
                   {"image", tag},
                   {"status", StateText(st)},
                   {"description", spec.description},
                   {"file", spec.source_path}});
    rows.push_back({name, tag, StateText(st), spec.description});
  }
  if (c.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<size_t> width(4, 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::cout << r[i];
      if (i + 1 < r.size()) std::cout << std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << "\n";
  }
  return 0;
}

// ---- show -----------------------------------------------------------------------------------

std::string JoinList(const std::vector<std::string>& v, const std::string& sep = " ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out.empty() ? "-" : out;
}

int RunShow(const Common& c, const std::string& name) {
  Result<EnvCatalog> catalog = LoadCatalog(c);
  if (!catalog.ok()) return PrintError(catalog.error()), 1;
  Result<const envspec::Spec*> found = catalog->Get(name);
  if (!found.ok()) return PrintError(found.error()), 1;
  const envspec::Spec& spec = **found;
  Result<std::unique_ptr<docker::Client>> engine = ConnectEngine(c);
  if (!engine.ok()) std::cerr << "vpe env: warning: " << engine.error().message << "\n";
  std::string tag = envspec::ImageTag(spec);
  ImageState st = Inspect(engine.ok() ? engine->get() : nullptr, tag);
  int64_t bytes = 0;
  int files = 0;
  for (const envspec::ContextFile& f : spec.context_files) {
    if (!f.is_dir) {
      bytes += static_cast<int64_t>(f.content.size());
      ++files;
    }
  }
  if (c.json) {
    Json j = {{"name", spec.name},
              {"file", spec.source_path},
              {"image", tag},
              {"hash", spec.hash},
              {"status", StateText(st)},
              {"image_id", st.id},
              {"created", st.created},
              {"spec", envspec::NormalizedSpec(spec)},
              {"copied_files", files},
              {"copied_bytes", bytes}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  auto line = [](const std::string& k, const std::string& v) {
    std::cout << std::left << std::setw(13) << (k + ":") << v << "\n";
  };
  line("name", spec.name);
  line("file", spec.source_path);
  if (!spec.description.empty()) line("description", spec.description);
  line("image", tag + " (" + StateText(st) + (st.present ? ", " + st.id.substr(0, 19) : "") + ")");
  line("hash", spec.hash);
  line("kind", spec.kind == envspec::SpecKind::kConda ? "conda environment.yml" : "vpe spec");
  line("base", spec.base);
  if (spec.kind == envspec::SpecKind::kConda) {
    line("channels", JoinList(spec.conda.channels));
    line("dependencies", JoinList(spec.conda.dependencies));
    line("pip", JoinList(spec.conda.pip));
  } else {
    line("apt", JoinList(spec.apt));
    line("pip", JoinList(spec.pip));
    std::vector<std::string> copies;
    for (const envspec::FileCopy& f : spec.files) copies.push_back(f.src + " -> " + f.dest);
    line("files", JoinList(copies, ", ") + " (" + std::to_string(files) + " files, " +
                      std::to_string(bytes) + " bytes)");
    line("setup", JoinList(spec.setup, "; "));
    std::vector<std::string> env;
    for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
    line("env", JoinList(env));
  }
  line("workdir", spec.workdir);
  line("user", spec.user);
  line("network", spec.network);
  std::ostringstream cpus;
  cpus << spec.resources.cpus;
  line("resources", "memory " + envspec::FormatSize(spec.resources.memory_bytes) + ", cpus " +
                        cpus.str() + ", pids " + std::to_string(spec.resources.pids) +
                        ", timeout " + envspec::FormatDuration(spec.resources.timeout));
  return 0;
}

// ---- render ---------------------------------------------------------------------------------

int RunRender(const Common& c, const std::string& name) {
  Result<EnvCatalog> catalog = LoadCatalog(c);
  if (!catalog.ok()) return PrintError(catalog.error()), 1;
  Result<const envspec::Spec*> found = catalog->Get(name);
  if (!found.ok()) return PrintError(found.error()), 1;
  Result<envspec::BuildContext> ctx = envspec::RenderBuildContext(**found);
  if (!ctx.ok()) return PrintError(ctx.error()), 1;
  if (!c.json) {
    std::cout << ctx->dockerfile;
    return 0;
  }
  Json files = Json::array();
  for (const envspec::ContextFile& f : (*found)->context_files) {
    files.push_back(
        {{"path", f.path}, {"dir", f.is_dir}, {"mode", f.mode}, {"size", f.content.size()}});
  }
  Json j = {{"image", ctx->tag},
            {"dockerfile", ctx->dockerfile},
            {"labels", ctx->labels},
            {"context_files", files},
            {"context_bytes", ctx->tar.size()}};
  std::cout << j.dump(2) << "\n";
  return 0;
}

// ---- build ----------------------------------------------------------------------------------

// Shows build progress: on a terminal one line per step, rewritten in place with the step's
// latest output; otherwise one plain line per step.
class ProgressView {
 public:
  ProgressView(bool tty, bool quiet) : tty_(tty), quiet_(quiet) {
    struct winsize ws {};
    if (tty_ && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width_ = ws.ws_col;
  }

  void OnEvent(const BuildEvent& e) {
    if (quiet_) return;
    std::string step = "step " + std::to_string(e.step) + "/" + std::to_string(e.total_steps);
    if (e.kind == BuildEvent::Kind::kStep) {
      if (tty_) {
        if (live_) std::cout << "\n";
        step_line_ = e.env + ": " + step + ": " + e.text;
        Draw(step_line_);
        live_ = true;
      } else {
        std::cout << e.env << ": " << step << ": " << e.text << "\n" << std::flush;
      }
    } else if (tty_ && live_) {
      Draw(step_line_ + "  | " + e.text);
    }
  }

  // Ends the live line (keeping the step text) before a summary line.
  void Finish() {
    if (tty_ && live_) {
      Draw(step_line_);
      std::cout << "\n" << std::flush;
    }
    live_ = false;
  }

 private:
  void Draw(const std::string& text) {
    std::string t = text;
    for (char& ch : t) {
      if (ch == '\t' || ch == '\r' || ch == '\n') ch = ' ';
    }
    if (t.size() > width_ - 1) t = t.substr(0, width_ - 4) + "...";
    std::cout << "\r\033[K" << t << std::flush;
  }

  bool tty_;
  bool quiet_;
  size_t width_ = 100;
  bool live_ = false;
  std::string step_line_;
};

int RunBuild(const Common& c, std::vector<std::string> names, bool all, bool force) {
  Result<EnvCatalog> catalog = LoadCatalog(c);
  if (!catalog.ok()) return PrintError(catalog.error()), 1;
  if (all) names = catalog->Names();
  if (names.empty()) {
    std::cerr << "vpe env build: name one or more environments, or pass --all\n";
    return 2;
  }
  std::vector<const envspec::Spec*> specs;
  for (const std::string& n : names) {
    Result<const envspec::Spec*> found = catalog->Get(n);
    if (!found.ok()) return PrintError(found.error()), 1;
    specs.push_back(*found);
  }
  Result<std::unique_ptr<docker::Client>> engine = ConnectEngine(c);
  if (!engine.ok()) return PrintError(engine.error()), 1;
  ImageManager manager(**engine);
  ProgressView view(!c.json && isatty(STDOUT_FILENO) != 0, c.json);
  std::vector<std::string> failed;
  Json out = Json::array();
  for (const envspec::Spec* spec : specs) {
    auto start = std::chrono::steady_clock::now();
    Result<EnsureResult> r = manager.Ensure(
        *spec, [&](const BuildEvent& e) { view.OnEvent(e); }, force);
    view.Finish();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    Json j = {{"name", spec->name},
              {"image", envspec::ImageTag(*spec)},
              {"seconds", elapsed.count() / 1000.0}};
    if (!r.ok()) {
      failed.push_back(spec->name);
      j["status"] = "failed";
      j["error"] = r.error().message;
      if (!c.json) std::cerr << spec->name << ": FAILED: " << r.error().message << "\n";
    } else {
      j["status"] = r->built ? "built" : "up to date";
      j["image_id"] = r->image_id;
      if (!c.json) {
        if (r->built) {
          std::cout << spec->name << ": built " << r->image << " in " << Seconds(elapsed) << "\n";
        } else {
          std::cout << spec->name << ": up to date (" << r->image << ")\n";
        }
      }
    }
    out.push_back(j);
    std::cout << std::flush;
  }
  if (c.json) std::cout << out.dump(2) << "\n";
  if (!failed.empty()) {
    std::string list;
    for (const std::string& f : failed) list += (list.empty() ? "" : ", ") + f;
    std::cerr << "vpe env build: " << failed.size() << " of " << specs.size()
              << " environment(s) failed: " << list << "\n";
    return 1;
  }
  return 0;
}

// ---- rm and gc ------------------------------------------------------------------------------

int RunRemove(const Common& c, const std::vector<std::string>& names, size_t keep,
              const char* verb) {
  Result<std::unique_ptr<docker::Client>> engine = ConnectEngine(c);
  if (!engine.ok()) return PrintError(engine.error()), 1;
  ImageManager manager(**engine);
  int rc = 0;
  Json out = Json::array();
  for (const std::string& name : names) {
    Result<GcResult> r = manager.CollectGarbage(name, keep);
    if (!r.ok()) {
      PrintError(r.error());
      out.push_back({{"name", name}, {"error", r.error().message}});
      rc = 1;
      continue;
    }
    out.push_back({{"name", name}, {"removed", r->removed}, {"kept_in_use", r->kept_in_use}});
    if (c.json) continue;
    for (const std::string& ref : r->removed) std::cout << name << ": removed " << ref << "\n";
    for (const std::string& ref : r->kept_in_use) {
      std::cout << name << ": kept " << ref << " (in use by a container)\n";
    }
    if (r->removed.empty() && r->kept_in_use.empty()) {
      std::cout << name << ": nothing to " << verb << "\n";
    }
  }
  if (c.json) std::cout << out.dump(2) << "\n";
  return rc;
}

void Finish(int rc, int* exit_code) {
  if (exit_code != nullptr) {
    *exit_code = rc;
  } else if (rc != 0) {
    throw CLI::RuntimeError(rc);
  }
}

}  // namespace

void RegisterEnvCommands(CLI::App& app, int* exit_code) {
  auto common = std::make_shared<Common>();
  common->docker_host = DefaultDockerHost();
  CLI::App* env =
      app.add_subcommand("env", "list, show, render, build and remove environment images");
  env->require_subcommand(1);
  env->add_option("--specs-dir", common->specs_dir, "directory of environment specs")
      ->capture_default_str();
  env->add_option("--docker-host", common->docker_host,
                  "Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)")
      ->capture_default_str();
  env->add_flag("--json", common->json, "machine-readable output");

  CLI::App* list = env->add_subcommand("list", "list the environments and their images");
  list->fallthrough();
  list->callback([=] { Finish(RunList(*common), exit_code); });

  auto show_name = std::make_shared<std::string>();
  CLI::App* show = env->add_subcommand("show", "show an environment's normalised spec and image");
  show->fallthrough();
  show->add_option("name", *show_name, "environment name")->required();
  show->callback([=] { Finish(RunShow(*common, *show_name), exit_code); });

  auto render_name = std::make_shared<std::string>();
  CLI::App* render = env->add_subcommand("render", "print the Dockerfile of an environment");
  render->fallthrough();
  render->add_option("name", *render_name, "environment name")->required();
  render->callback([=] { Finish(RunRender(*common, *render_name), exit_code); });

  struct BuildArgs {
    std::vector<std::string> names;
    bool all = false;
    bool force = false;
  };
  auto ba = std::make_shared<BuildArgs>();
  CLI::App* build = env->add_subcommand("build", "build missing environment images");
  build->fallthrough();
  build->add_option("names", ba->names, "environment names");
  build->add_flag("--all", ba->all, "every environment of the specs directory");
  build->add_flag("--force", ba->force, "build even when the image exists");
  build->callback([=] { Finish(RunBuild(*common, ba->names, ba->all, ba->force), exit_code); });

  auto rm_names = std::make_shared<std::vector<std::string>>();
  CLI::App* rm = env->add_subcommand("rm", "remove every image of an environment");
  rm->fallthrough();
  rm->add_option("names", *rm_names, "environment names")->required();
  rm->callback([=] { Finish(RunRemove(*common, *rm_names, 0, "remove"), exit_code); });

  struct GcArgs {
    std::vector<std::string> names;
    size_t keep = 2;
  };
  auto ga = std::make_shared<GcArgs>();
  CLI::App* gc = env->add_subcommand("gc", "remove old images of environments, keeping the newest");
  gc->fallthrough();
  gc->add_option("names", ga->names, "environment names (default: every one in the specs dir)");
  gc->add_option("--keep", ga->keep, "images to keep per environment")->capture_default_str();
  gc->callback([=] {
    std::vector<std::string> names = ga->names;
    if (names.empty()) {
      Result<EnvCatalog> catalog = LoadCatalog(*common);
      if (!catalog.ok()) return PrintError(catalog.error()), Finish(1, exit_code);
      names = catalog->Names();
    }
    Finish(RunRemove(*common, names, ga->keep, "collect"), exit_code);
  });
}

void RegisterEnvCommands(CLI::App& app) { RegisterEnvCommands(app, nullptr); }

}  // namespace vpe::orch
