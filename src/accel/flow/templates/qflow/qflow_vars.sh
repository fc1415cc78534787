#!/usr/bin/tcsh -f
# qflow project variables, written by accel for one step's work directory.
set projectpath={{project}}
set techdir={{techdir}}
set sourcedir={{project}}/source
set synthdir={{project}}/synthesis
set layoutdir={{project}}/layout
set techname={{techname}}
set scriptdir={{scriptdir}}
set bindir={{bindir}}
set logdir={{project}}/log
