# The dataset format read back by h5py (an independent reader): tests/check_dataset_h5py.py
# runs `drumforge prepare` on files it writes with soundfile and checks the shards. Skipped
# (exit code 77) when Python lacks h5py or soundfile.
if(DF_SYSTEM_PYTHON)
  add_test(NAME test_dataset_h5py
    COMMAND ${DF_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/check_dataset_h5py.py
            $<TARGET_FILE:drumforge> ${CMAKE_CURRENT_BINARY_DIR}/scratch/dataset_h5py)
  set_tests_properties(test_dataset_h5py PROPERTIES SKIP_RETURN_CODE 77 LABELS python)
endif()
