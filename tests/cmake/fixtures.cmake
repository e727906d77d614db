# On demand only (never part of the normal build or test run):
#   cmake --build build --target fixtures
# rewrites tests/fixtures/ with tests/make_fixtures.py and Debian's python3-torch; the tests
# read the committed files.
if(DF_SYSTEM_PYTHON)
  add_custom_target(fixtures
    COMMAND ${DF_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/make_fixtures.py ${CMAKE_CURRENT_SOURCE_DIR}/fixtures
    COMMENT "Regenerating the PyTorch fixtures in tests/fixtures"
    VERBATIM)
endif()
