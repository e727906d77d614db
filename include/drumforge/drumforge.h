/* drumforge: training and inference engine for generative drum-sound models.
 * Umbrella header for the public C API. */
#ifndef DRUMFORGE_H
#define DRUMFORGE_H

#include "drumforge/status.h"
#include "drumforge/tensor.h"
#include "drumforge/runtime.h"
#include "drumforge/rng.h"
#include "drumforge/ops.h"
#include "drumforge/optim.h"
#include "drumforge/fileio.h"
#include "drumforge/safetensors.h"
#include "drumforge/config.h"
#include "drumforge/nn.h"
#include "drumforge/loss.h"
#include "drumforge/audio.h"
#include "drumforge/dataset.h"
#include "drumforge/dsp.h"
#include "drumforge/npy.h"
#include "drumforge/postfx.h"
#include "drumforge/generate.h"

#endif
