#include "docker_api/api_version.h"

#include <cstdio>

namespace vpe::docker {
namespace {

bool Parse(const std::string& v, int* major, int* minor) {
  char tail = 0;
  return std::sscanf(v.c_str(), "%d.%d%c", major, minor, &tail) == 2;
}

}  // namespace

int CompareApiVersions(const std::string& a, const std::string& b) {
  int amaj = -1, amin = -1, bmaj = -1, bmin = -1;
  if (!Parse(a, &amaj, &amin)) amaj = amin = -1;
  if (!Parse(b, &bmaj, &bmin)) bmaj = bmin = -1;
  if (amaj != bmaj) return amaj < bmaj ? -1 : 1;
  if (amin != bmin) return amin < bmin ? -1 : 1;
  return 0;
}

Result<std::string> NegotiateApiVersion(const std::string& engine_api,
                                        const std::string& engine_version) {
  int major = 0, minor = 0;
  if (!Parse(engine_api, &major, &minor)) {
    return Error(ErrorCode::kFailedPrecondition, "docker engine " + engine_version +
                                                     " reports an unreadable API version \"" +
                                                     engine_api + "\"");
  }
  if (CompareApiVersions(engine_api, kMinApiVersion) < 0) {
    return Error(ErrorCode::kFailedPrecondition,
                 "docker engine " + engine_version + " speaks API " + engine_api +
                     ", older than API " + kMinApiVersion +
                     " that vpe needs; upgrade the engine to Docker 20.10 or later");
  }
  if (CompareApiVersions(engine_api, kMaxApiVersion) > 0) return std::string(kMaxApiVersion);
  return engine_api;
}

}  // namespace vpe::docker
