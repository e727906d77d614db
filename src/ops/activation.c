/* Activations: names, argument checks and dispatch. */
#include <string.h>

#include "ops/dispatch.h"

static const char *const names[] = {"identity", "relu", "leaky_relu", "tanh", "sigmoid", "elu"};
#define N_ACTIVATIONS ((int)(sizeof names / sizeof names[0]))

const char *df_activation_name(df_activation act) {
  return (int)act >= 0 && (int)act < N_ACTIVATIONS ? names[act] : "unknown";
}

df_status df_parse_activation(const char *name, df_activation *out) {
  for (int i = 0; name && i < N_ACTIVATIONS; i++) {
    if (strcmp(name, names[i]) == 0) {
      *out = (df_activation)i;
      return DF_OK;
    }
  }
  return DF_FAIL(DF_ERR_INVALID_ARG,
                 "unknown activation '%s' (identity, relu, leaky_relu, tanh, sigmoid, elu)",
                 name ? name : "(null)");
}

static df_status check_act(const char *fn, df_activation act) {
  if ((int)act < 0 || (int)act >= N_ACTIVATIONS)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown activation %d", fn, (int)act);
  return DF_OK;
}

df_status df_activation_forward(df_activation act, float param, const df_tensor *x,
                                df_tensor *y) {
  const char *fn = "df_activation_forward";
  DF_TRY(check_act(fn, act));
  df_device dev;
  DF_TRY(df_check_pair(fn, x, "x", y, "y", &dev));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, activation_forward, act, param, x, y);
}

df_status df_activation_backward(df_activation act, float param, const df_tensor *y,
                                 const df_tensor *dy, df_tensor *dx) {
  const char *fn = "df_activation_backward";
  DF_TRY(check_act(fn, act));
  /* The gradient is recovered from the output, which needs an invertible sign pattern. */
  if ((act == DF_ACT_LEAKY_RELU || act == DF_ACT_ELU) && !(param > 0.f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: %s needs a parameter > 0 (got %g)", fn,
                   df_activation_name(act), param);
  DF_TRY(df_check_given(fn, y, "y"));
  DF_TRY(df_check_given(fn, dy, "dy"));
  DF_TRY(df_check_given(fn, dx, "dx"));
  DF_TRY(df_check_same_shape(fn, y, dy));
  DF_TRY(df_check_same_shape(fn, y, dx));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, y, dy, dx));
  if (df_tensor_numel(y) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, activation_backward, act, param, y, dy, dx);
}
