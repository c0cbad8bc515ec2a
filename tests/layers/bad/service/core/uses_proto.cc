// A core file that includes a generated proto: the layer check must refuse it.
#include "absl/status/status.h"
#include "peermatch/v1/member.pb.h"
