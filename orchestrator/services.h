#pragma once
// The outside systems and shared objects the orchestrator and its runners work with. Not owned:
// vped's main creates them and keeps them alive longer than the Orchestrator.

namespace vpe::docker {
class Engine;
}

namespace vpe::orch {

class Store;
class EnvCatalog;
class ImageManager;
class Metrics;

struct Services {
  docker::Engine* engine = nullptr;
  Store* store = nullptr;
  EnvCatalog* catalog = nullptr;
  ImageManager* images = nullptr;
  Metrics* metrics = nullptr;  // optional
};

}  // namespace vpe::orch
