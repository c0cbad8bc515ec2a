# The dependency rule (docs/architecture.md), checked on every build:
#   cmake -DROOT=<source dir> -P cmake/check_layers.cmake
# Fails, naming the file, line and rule, when a layer includes what it must
# not. The link lines keep a layer from calling into a library it does not
# link; this keeps it from compiling against one's headers (a header-only
# use of gRPC or of a generated proto would otherwise pass).
if(NOT ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<source dir>")
endif()

set(PROTO_OR_GRPC "peermatch/v1/|grpc|google/protobuf/")
set(violations "")

# Files under `dir` may include no path matching `up` (a higher layer) and
# nothing of protobuf or gRPC.
function(forbid dir up why)
  file(GLOB_RECURSE files "${ROOT}/${dir}/*.h" "${ROOT}/${dir}/*.cc")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      string(REGEX MATCH "[\"<]([^\">]+)[\">]" _ "${line}")
      set(path "${CMAKE_MATCH_1}")
      if(path MATCHES "${up}" OR path MATCHES "${PROTO_OR_GRPC}")
        file(RELATIVE_PATH rel "${ROOT}" "${f}")
        set(violations
            "${violations}\n  ${rel}: #include \"${path}\" (${why})"
            PARENT_SCOPE)
        set(violations
            "${violations}\n  ${rel}: #include \"${path}\" (${why})")
      endif()
    endforeach()
  endforeach()
endfunction()

forbid(base "^(matcher|service|cli|proto)/"
       "base/ is the bottom layer: std and abseil only")
forbid(matcher "^(service|cli)/"
       "matcher/ is pure computation: no service, proto or gRPC")
forbid(service/common "^service/(store|snapshot|core|jobs|auth|api)/"
       "common/ is abseil only")
forbid(service/store "^service/(snapshot|core|jobs|auth|api)/"
       "store/ sees no generated protos and no gRPC")
forbid(service/snapshot "^service/(core|jobs|api)/"
       "snapshot/ sees no generated protos and no gRPC")
forbid(service/core "^service/api/"
       "core/ sees no generated protos and no gRPC")
forbid(service/jobs "^service/(core|api)/"
       "jobs/ sees no generated protos and no gRPC")

if(violations)
  message(FATAL_ERROR "layer rule broken:${violations}")
endif()
