// reidfx torch addon: a small, generic Node-API bridge to libtorch.
//
// Tensors are `at::Tensor`s held by `napi_external` handles (the finalizer frees the holder; `dispose` releases the
// tensor at once). Every ATen operator is reachable by name through the c10 dispatcher (boxed calls): JavaScript
// arguments are converted to `c10::IValue`s by the operator's schema, so kernels are written in TypeScript.
//
// Exports: fromData, toData, shape, dtype, dispose, op, call, setThreads, getThreads, setDevice, device, stats,
// version, hasCuda.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/InferenceMode.h>
// Tensor finalizers touch no JavaScript: as an experimental-version module they run synchronously during garbage
// collection instead of being deferred to the event loop (which a synchronous training loop never yields to)
#define NAPI_EXPERIMENTAL
#define NAPI_VERSION 2147483647
#include <node_api.h>
#include <torch/version.h>

#include <cmath>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Holder {
  at::Tensor t;
  int64_t bytes = 0;
};

std::atomic<int64_t> liveTensors{0};
std::atomic<int64_t> liveBytes{0};
c10::Device currentDevice(c10::kCPU);

struct JsError {
  std::string message;
};

#define NAPI(call)                                                   \
  do {                                                               \
    if ((call) != napi_ok) throw JsError{"Node-API call failed: " #call}; \
  } while (0)

void release(Holder* h) {
  if (h->t.defined()) {
    liveTensors--;
    liveBytes -= h->bytes;
    h->t.reset();
  }
}

void finalizeHolder(napi_env, void* data, void*) {
  auto* h = static_cast<Holder*>(data);
  release(h);
  delete h;
}

napi_value wrap(napi_env env, at::Tensor t) {
  auto* h = new Holder{std::move(t), 0};
  h->bytes = static_cast<int64_t>(h->t.numel() * h->t.element_size());
  liveTensors++;
  liveBytes += h->bytes;
  napi_value out;
  NAPI(napi_create_external(env, h, finalizeHolder, nullptr, &out));
  return out;
}

Holder* holderOf(napi_env env, napi_value v) {
  napi_valuetype type;
  NAPI(napi_typeof(env, v, &type));
  if (type != napi_external) throw JsError{"expected a tensor handle"};
  void* data;
  NAPI(napi_get_value_external(env, v, &data));
  auto* h = static_cast<Holder*>(data);
  if (!h->t.defined()) throw JsError{"tensor handle used after dispose"};
  return h;
}

std::vector<napi_value> argsOf(napi_env env, napi_callback_info info, size_t n) {
  std::vector<napi_value> args(n);
  size_t got = n;
  NAPI(napi_get_cb_info(env, info, &got, args.data(), nullptr, nullptr));
  if (got < n) throw JsError{"too few arguments"};
  return args;
}

double numberOf(napi_env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw JsError{"expected a number"};
  return d;
}

std::string stringOf(napi_env env, napi_value v) {
  size_t len;
  NAPI(napi_get_value_string_utf8(env, v, nullptr, 0, &len));
  std::string s(len, '\0');
  NAPI(napi_get_value_string_utf8(env, v, s.data(), len + 1, &len));
  return s;
}

uint32_t lengthOf(napi_env env, napi_value v) {
  bool isArray;
  NAPI(napi_is_array(env, v, &isArray));
  if (!isArray) throw JsError{"expected an array"};
  uint32_t n;
  NAPI(napi_get_array_length(env, v, &n));
  return n;
}

napi_value element(napi_env env, napi_value v, uint32_t i) {
  napi_value e;
  NAPI(napi_get_element(env, v, i, &e));
  return e;
}

std::vector<int64_t> intsOf(napi_env env, napi_value v) {
  uint32_t n = lengthOf(env, v);
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; i++) out[i] = static_cast<int64_t>(numberOf(env, element(env, v, i)));
  return out;
}

bool isNullish(napi_env env, napi_value v) {
  napi_valuetype type;
  NAPI(napi_typeof(env, v, &type));
  return type == napi_null || type == napi_undefined;
}

c10::ScalarType scalarTypeOf(const std::string& dtype) {
  if (dtype == "float32") return at::kFloat;
  if (dtype == "int32") return at::kInt;
  if (dtype == "bool") return at::kBool;
  throw JsError{"unsupported dtype " + dtype + " (torch backend holds float32, int32 and bool)"};
}

// A JavaScript value as the IValue an argument of type `type` takes.
c10::IValue toIValue(napi_env env, napi_value v, const c10::TypePtr& type) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (isNullish(env, v)) return c10::IValue();
      return toIValue(env, v, type->expectRef<c10::OptionalType>().getElementType());
    case K::TensorType:
      return c10::IValue(holderOf(env, v)->t);
    case K::IntType:
    case K::SymIntType:
      return c10::IValue(static_cast<int64_t>(numberOf(env, v)));
    case K::FloatType:
      return c10::IValue(numberOf(env, v));
    case K::BoolType: {
      bool b;
      NAPI(napi_get_value_bool(env, v, &b));
      return c10::IValue(b);
    }
    case K::NumberType: {  // Scalar: integers stay integral so integer tensors keep their dtype
      napi_valuetype t;
      NAPI(napi_typeof(env, v, &t));
      if (t == napi_boolean) {
        bool b;
        NAPI(napi_get_value_bool(env, v, &b));
        return c10::IValue(b);
      }
      double d = numberOf(env, v);
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return c10::IValue(static_cast<int64_t>(d));
      return c10::IValue(d);
    }
    case K::StringType:
      return c10::IValue(stringOf(env, v));
    case K::DeviceObjType:
      return c10::IValue(c10::Device(stringOf(env, v)));
    case K::ListType: {
      const auto& elem = type->expectRef<c10::ListType>().getElementType();
      uint32_t n = lengthOf(env, v);
      switch (elem->kind()) {
        case K::IntType:
        case K::SymIntType:
          return c10::IValue(c10::List<int64_t>(intsOf(env, v)));
        case K::FloatType: {
          c10::List<double> out;
          for (uint32_t i = 0; i < n; i++) out.push_back(numberOf(env, element(env, v, i)));
          return c10::IValue(out);
        }
        case K::BoolType: {
          c10::List<bool> out;
          for (uint32_t i = 0; i < n; i++) {
            bool b;
            NAPI(napi_get_value_bool(env, element(env, v, i), &b));
            out.push_back(b);
          }
          return c10::IValue(out);
        }
        case K::TensorType: {
          c10::List<at::Tensor> out;
          for (uint32_t i = 0; i < n; i++) out.push_back(holderOf(env, element(env, v, i))->t);
          return c10::IValue(out);
        }
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> out;
          for (uint32_t i = 0; i < n; i++) {
            napi_value e = element(env, v, i);
            out.push_back(isNullish(env, e) ? c10::optional<at::Tensor>() : c10::optional<at::Tensor>(holderOf(env, e)->t));
          }
          return c10::IValue(out);
        }
        default:
          break;
      }
      break;
    }
    default:
      break;
  }
  throw JsError{"unsupported argument type " + type->str()};
}

napi_value fromIValue(napi_env env, const c10::IValue& v) {
  napi_value out;
  if (v.isTensor()) {
    const auto& t = v.toTensor();
    if (!t.defined()) {
      NAPI(napi_get_null(env, &out));
      return out;
    }
    return wrap(env, t);
  }
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    NAPI(napi_create_array_with_length(env, list.size(), &out));
    for (size_t i = 0; i < list.size(); i++) NAPI(napi_set_element(env, out, i, fromIValue(env, c10::IValue(list.get(i)))));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    NAPI(napi_create_array_with_length(env, elems.size(), &out));
    for (size_t i = 0; i < elems.size(); i++) NAPI(napi_set_element(env, out, i, fromIValue(env, elems[i])));
    return out;
  }
  if (v.isInt()) NAPI(napi_create_double(env, static_cast<double>(v.toInt()), &out));
  else if (v.isDouble()) NAPI(napi_create_double(env, v.toDouble(), &out));
  else if (v.isBool()) NAPI(napi_get_boolean(env, v.toBool(), &out));
  else if (v.isNone()) NAPI(napi_get_null(env, &out));
  else throw JsError{"unsupported return type " + v.tagKind()};
  return out;
}

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  try {
    c10::InferenceMode inference;
    return f();
  } catch (const JsError& e) {
    napi_throw_error(env, "REIDFX_TORCH", e.message.c_str());
  } catch (const c10::Error& e) {
    napi_throw_error(env, "REIDFX_TORCH", e.what_without_backtrace());
  } catch (const std::exception& e) {
    napi_throw_error(env, "REIDFX_TORCH", e.what());
  }
  return nullptr;
}

// fromData(typedArray, shape, dtype): a tensor on the current device holding a copy of the data.
napi_value FromData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 3);
    napi_typedarray_type kind;
    size_t length;
    void* data;
    napi_value buffer;
    size_t offset;
    NAPI(napi_get_typedarray_info(env, args[0], &kind, &length, &data, &buffer, &offset));
    auto shape = intsOf(env, args[1]);
    auto type = scalarTypeOf(stringOf(env, args[2]));
    int64_t numel = 1;
    for (auto d : shape) numel *= d;
    if (static_cast<int64_t>(length) != numel) throw JsError{"fromData: the data length does not match the shape"};
    size_t elementBytes = kind == napi_float32_array || kind == napi_int32_array ? 4 : kind == napi_uint8_array ? 1 : 0;
    if (elementBytes != c10::elementSize(type)) throw JsError{"fromData: the typed array does not match the dtype"};
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
    if (numel > 0) std::memcpy(t.data_ptr(), data, numel * elementBytes);
    if (currentDevice != c10::Device(c10::kCPU)) t = t.to(currentDevice);
    return wrap(env, std::move(t));
  });
}

// toData(handle): a copy of the data as a Float32Array / Int32Array / Uint8Array (float64 and int64 narrowed).
napi_value ToData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    at::Tensor t = holderOf(env, args[0])->t;
    auto type = t.scalar_type();
    napi_typedarray_type kind;
    if (type == at::kFloat || type == at::kDouble || type == at::kHalf || type == at::kBFloat16) {
      type = at::kFloat;
      kind = napi_float32_array;
    } else if (type == at::kBool) {
      kind = napi_uint8_array;
    } else {
      type = at::kInt;
      kind = napi_int32_array;
    }
    t = t.to(c10::kCPU, type).contiguous();
    size_t bytes = t.numel() * t.element_size();
    void* dest;
    napi_value buffer, out;
    NAPI(napi_create_arraybuffer(env, bytes, &dest, &buffer));
    if (bytes > 0) std::memcpy(dest, t.data_ptr(), bytes);
    NAPI(napi_create_typedarray(env, kind, t.numel(), buffer, 0, &out));
    return out;
  });
}

napi_value Shape(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    const at::Tensor& t = holderOf(env, args[0])->t;
    napi_value out;
    NAPI(napi_create_array_with_length(env, t.dim(), &out));
    for (int64_t i = 0; i < t.dim(); i++) {
      napi_value d;
      NAPI(napi_create_double(env, static_cast<double>(t.size(i)), &d));
      NAPI(napi_set_element(env, out, i, d));
    }
    return out;
  });
}

napi_value DType(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    napi_value out;
    std::string name = c10::toString(holderOf(env, args[0])->t.scalar_type());
    NAPI(napi_create_string_utf8(env, name.c_str(), name.size(), &out));
    return out;
  });
}

napi_value Dispose(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    void* data;
    NAPI(napi_get_value_external(env, args[0], &data));
    release(static_cast<Holder*>(data));
    napi_value out;
    NAPI(napi_get_undefined(env, &out));
    return out;
  });
}

// op(name, overload): a handle to the operator (operator handles live as long as the process).
napi_value Op(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 2);
    std::string name = stringOf(env, args[0]);
    std::string overload = stringOf(env, args[1]);
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
    napi_value out;
    NAPI(napi_create_external(env, new c10::OperatorHandle(handle), nullptr, nullptr, &out));
    return out;
  });
}

// call(op, args): runs the operator; missing trailing arguments take the schema's defaults. One return comes back
// as itself, several as an array.
napi_value Call(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 2);
    void* data;
    NAPI(napi_get_value_external(env, args[0], &data));
    const auto& op = *static_cast<c10::OperatorHandle*>(data);
    const auto& schema = op.schema();
    const auto& formals = schema.arguments();
    uint32_t given = lengthOf(env, args[1]);
    if (given > formals.size()) throw JsError{"too many arguments for " + schema.name()};
    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); i++) {
      napi_value v = nullptr;
      if (i < given) v = element(env, args[1], i);
      if (v == nullptr || (isNullish(env, v) && formals[i].default_value().has_value())) {
        if (!formals[i].default_value().has_value()) throw JsError{"missing argument " + formals[i].name() + " of " + schema.name()};
        stack.push_back(*formals[i].default_value());
      } else {
        try {
          stack.push_back(toIValue(env, v, formals[i].type()));
        } catch (const JsError& e) {
          throw JsError{schema.name() + " argument " + formals[i].name() + ": " + e.message};
        }
      }
    }
    op.callBoxed(&stack);
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    napi_value out;
    NAPI(napi_create_array_with_length(env, stack.size(), &out));
    for (size_t i = 0; i < stack.size(); i++) NAPI(napi_set_element(env, out, i, fromIValue(env, stack[i])));
    return out;
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    int n = static_cast<int>(numberOf(env, args[0]));
    if (n < 1) throw JsError{"threads must be at least 1"};
    at::set_num_threads(n);
    napi_value out;
    NAPI(napi_get_undefined(env, &out));
    return out;
  });
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    NAPI(napi_create_int32(env, at::get_num_threads(), &out));
    return out;
  });
}

// setDevice("cpu" | "cuda" | "cuda:N"): where fromData places new tensors (ops follow their inputs).
napi_value SetDevice(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = argsOf(env, info, 1);
    c10::Device device(stringOf(env, args[0]));
    if (device.is_cuda()) {
      if (!at::hasCUDA()) throw JsError{"this libtorch has no CUDA (or no GPU is visible)"};
      at::empty({1}, at::TensorOptions().device(device));  // fails here if the index is out of range
    } else if (!device.is_cpu()) {
      throw JsError{"only cpu and cuda devices are supported"};
    }
    currentDevice = device;
    napi_value out;
    NAPI(napi_get_undefined(env, &out));
    return out;
  });
}

napi_value Device(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    std::string s = currentDevice.str();
    napi_value out;
    NAPI(napi_create_string_utf8(env, s.c_str(), s.size(), &out));
    return out;
  });
}

napi_value Stats(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out, a, b;
    NAPI(napi_create_object(env, &out));
    NAPI(napi_create_double(env, static_cast<double>(liveTensors.load()), &a));
    NAPI(napi_create_double(env, static_cast<double>(liveBytes.load()), &b));
    NAPI(napi_set_named_property(env, out, "liveTensors", a));
    NAPI(napi_set_named_property(env, out, "liveBytes", b));
    return out;
  });
}

napi_value Version(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    NAPI(napi_create_string_utf8(env, TORCH_VERSION, NAPI_AUTO_LENGTH, &out));
    return out;
  });
}

napi_value HasCuda(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    NAPI(napi_get_boolean(env, at::hasCUDA(), &out));
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"fromData", nullptr, FromData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"toData", nullptr, ToData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"shape", nullptr, Shape, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dtype", nullptr, DType, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dispose", nullptr, Dispose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"op", nullptr, Op, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"call", nullptr, Call, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getThreads", nullptr, GetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setDevice", nullptr, SetDevice, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"device", nullptr, Device, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"hasCuda", nullptr, HasCuda, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(reidfx_torch, Init)
