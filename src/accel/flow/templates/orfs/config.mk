# OpenROAD-flow-scripts design config written by `accel export orfs` (config {{config_name}}, hash {{config_hash}}).
# Run from ORFS's flow/ directory:  make DESIGN_CONFIG=./designs/{{platform}}/{{nickname}}/config.mk
export DESIGN_NICKNAME  = {{nickname}}
export DESIGN_NAME      = {{top}}
export PLATFORM         = {{platform}}

export VERILOG_FILES    = $(sort $(wildcard $(DESIGN_HOME)/src/$(DESIGN_NICKNAME)/*.v))
export SDC_FILE         = $(DESIGN_HOME)/$(PLATFORM)/$(DESIGN_NICKNAME)/constraint.sdc

# From the accel config's flow section (utilization as a percentage, aspect ratio = height / width).
export CORE_UTILIZATION = {{utilization_pct}}
export CORE_ASPECT_RATIO = {{aspect_ratio}}
export PLACE_DENSITY    = {{place_density}}
