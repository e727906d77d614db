# On demand only: `cmake --build build --target dsp_fixtures` rewrites
# tests/fixtures/dsp/dsp.safetensors with tests/make_dsp_fixtures.py (Debian's python3-torch
# and python3-torchaudio); the tests read the committed file.
if(DF_SYSTEM_PYTHON)
  add_custom_target(dsp_fixtures
    COMMAND ${DF_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/make_dsp_fixtures.py
    COMMENT "Regenerating the DSP fixtures in tests/fixtures/dsp"
    VERBATIM)
endif()
