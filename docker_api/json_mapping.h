#pragma once
// Pure conversions between the typed requests/responses of engine.h and the Engine API's JSON
// (API 1.41). No I/O: every function here is unit-tested against recorded documents. Parsers are
// lenient: a missing or null field gives the default value.

#include <nlohmann/json.hpp>
#include <string>

#include "docker_api/engine.h"

namespace vpe::docker {

// POST /containers/create body (the name goes in the query, not here).
nlohmann::json ContainerCreateBody(const ContainerSpec& spec);
CreateResult ParseCreateResult(const nlohmann::json& doc);
// GET /containers/{id}/json
ContainerInfo ParseContainerInfo(const nlohmann::json& doc);
// One element of GET /containers/json
ContainerSummary ParseContainerSummary(const nlohmann::json& doc);
// POST /containers/{id}/wait
WaitResult ParseWaitResult(const nlohmann::json& doc);
const char* WaitConditionName(WaitCondition condition);

ImageInfo ParseImageInfo(const nlohmann::json& doc);
ImageSummary ParseImageSummary(const nlohmann::json& doc);
// One JSON line of POST /build output.
BuildProgress ParseBuildProgress(const nlohmann::json& doc);
// One JSON line of GET /events.
Event ParseEvent(const nlohmann::json& doc);
VersionInfo ParseVersion(const nlohmann::json& doc);

// `filters=` query value: {"label":{"a=b":true}} (the form every API version accepts).
std::string EncodeFilters(const Filters& filters);
// A string map as a JSON object string (build `labels=` and `buildargs=`).
std::string EncodeStringMap(const Labels& map);

}  // namespace vpe::docker
