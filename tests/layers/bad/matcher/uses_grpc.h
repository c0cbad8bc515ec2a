// A matcher header that includes gRPC: the layer check must refuse it.
#include "grpcpp/grpcpp.h"
