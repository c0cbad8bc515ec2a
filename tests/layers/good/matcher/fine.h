// A matcher header with allowed includes only.
#include <vector>

#include "absl/status/status.h"
#include "base/ids.h"
