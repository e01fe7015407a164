#pragma once
// Engine API version negotiation: vpe speaks API 1.41 (Docker 20.10) up to 1.43 and uses the
// highest version both sides know.

#include <string>

#include "common/result.h"

namespace vpe::docker {

inline constexpr char kMinApiVersion[] = "1.41";
inline constexpr char kMaxApiVersion[] = "1.43";

// Compares "major.minor" versions: <0, 0, >0. An unparsable version sorts lowest.
int CompareApiVersions(const std::string& a, const std::string& b);

// The version to use with an engine whose highest API version is `engine_api` (engine release
// `engine_version`, for the message). kFailedPrecondition when the engine is older than 1.41.
Result<std::string> NegotiateApiVersion(const std::string& engine_api,
                                        const std::string& engine_version);

}  // namespace vpe::docker
