#pragma once
// Maps engine answers and transport failures onto vpe::Error (see engine.h for the contract):
// non-2xx -> kEngine (kNotFound on 404, kAlreadyExists on 409 for a create) with http_status and
// the engine's "message"; transport failures -> kUnavailable.

#include <string>
#include <string_view>

#include "common/result.h"

namespace vpe::docker {

// Which kind of call got the answer; decides how 409 maps.
enum class CallKind { kOther, kCreate };

// The engine's error text: the "message" field of a JSON body, else the trimmed body itself
// (capped), else "HTTP <status>".
std::string EngineMessage(int http_status, std::string_view body);

// An error for a non-2xx answer to `what` (e.g. "inspect container 3f2a").
Error HttpError(int http_status, std::string_view body, const std::string& what,
                CallKind kind = CallKind::kOther);

// An error for a transport failure while doing `what`; `detail` names the failure.
Error TransportError(const std::string& endpoint, const std::string& what,
                     const std::string& detail);

// True for the 409 answers RemoveContainer treats as success ("removal of container ... is
// already in progress").
bool IsRemovalInProgress(int http_status, std::string_view body);

inline bool IsSuccess(int http_status) { return http_status >= 200 && http_status < 300; }

}  // namespace vpe::docker
