"""Index layout of the plant's flat float64 arrays (state, parameters, commands, faults, sensors).

The numba kernels in :mod:`sim_bridge._kernel` work on plain float64 arrays so
that one definition serves a single run and a batch (a leading batch axis).
These module-level integer constants are compile-time constants to numba.
Offsets of vectors are given; the vector length is in the comment.
"""

from __future__ import annotations

# ---------------------------------------------------------------- state X
# Three free rigid bodies, 13 numbers each: CoM position (3, world m), CoM velocity
# (3, m/s), attitude quaternion body->world (4: w, x, y, z), body-frame rate (3, rad/s).
BODY = 13
B_STATION = 0
B_CHASER = 1
B_RING = 2
X_NUT = 39  # drive nut position, m (ring extension the nut holds)
X_NUT_V = 40  # drive nut speed, m/s
X_DAMP = 41  # 5: lagged damper forces on the ring: axial, lat y, lat z (N), tilt y, z (N m)
X_LATCH = 46  # 6: latch engaged flags (0/1)
X_STICK = 52  # brake stuck (1) or slipping (0)
X_CABLE = 53  # 2: cable position per hook set, m
X_MOT_W = 55  # 2: hook motor speed, rad/s
X_MOT_I = 57  # 2: hook motor current, A
X_HOOK_Q = 59  # 12: hook positions, 0 open .. 1 closed
X_P_CAV = 71  # cavity pressure between the seals, Pa
X_P_TUN = 72  # tunnel pressure, Pa
X_FIRED = 73  # push-rods released (0/1)
X_D_DAMP = 74  # energy dissipated by the EM dampers, J
X_D_BRAKE = 75  # ... by the friction brake, J
X_D_CONTACT = 76  # ... by contact damping and friction, J
X_D_OTHER = 77  # ... by latch, seal, pin and roll damping, J
X_W_ACT = (
    78  # work done on the mechanism by actuators (drive, centring, hooks, push-rods, pressure), J
)
X_PEAK_AX = 79  # peak |axial load| since the last reset, N
X_PEAK_LAT = 80  # peak lateral load since the last reset, N
X_AX = 81  # axial load on the chaser (+ = compression, pushing the chaser away), N
X_LAT = 82  # lateral load magnitude on the chaser, N
X_DRIVE_F = 83  # force through the ring drive (spring + brake), N
X_DRIVE_I = 84  # drive motor current, A
X_TENSION = 85  # 2: cable tension per set, N
X_HOOK_LOAD = 87  # 12: per-hook load, N
X_ALIGN = 99  # 3: petal alignment sensors (0/1)
X_ICONTACT = 102  # 3: interface-contact switches (0/1)
X_IN_CONTACT = 105  # any contact force (0/1)
X_PIN_ERR = 106  # largest guide-pin centring error, m
X_RING_EXT = 107  # ring extension, m
X_RING_RATE = 108  # ring extension rate, m/s
X_RING_LAT = 109  # 2: ring lateral offset from the chaser axis, m
X_RING_TILT = 111  # 2: ring tilt (pitch, yaw) from the chaser axis, rad
X_SEAL_F = 113  # total seal force, N
X_SEAL_MIN = 114  # smallest seal compression, m
X_HOOK_ENG = 115  # 12: hook is clamping (0/1)
X_MIN_GAP = 127  # smallest structural gap, m
X_PR_GAP = 128  # 4: structural gap at each push-rod, m
X_CENT = 132  # 4: centring actuator output (lagged): lat y, z (N), tilt y, z (N m)
NX = 136

# ---------------------------------------------------------------- commands U
U_DAMPER = 0
U_BRAKE = 1
U_RING_SPEED = 2
U_CENTRING = 3
U_ARM = 4
U_RELEASE = 5
U_HOOK_V = 6  # 2
U_SEAL_VALVE = 8
U_TUNNEL_VALVE = 9
U_PUSHRODS = 10
U_TUNNEL_VENT = 11  # tunnel vent valve (to vacuum) open
NU = 12

# ---------------------------------------------------------------- faults F
F_LATCH_FAIL = 0  # 6 flags
F_HOOK_JAM = 6  # 12: jam position, NaN = not jammed
F_MOTOR_FAIL = 18  # 2 flags
F_CABLE_BREAK = 20  # 2 flags
F_DAMPER_SCALE = 22  # 1.0 = healthy
F_BRAKE_SCALE = 23  # 1.0 = healthy
F_DRIVE_JAM = 24  # flag
F_SEAL_LEAK = 25  # extra leak out of the cavity, kg/s
F_UNLOCK_FAIL = 26  # 2 flags
F_BUS_V = 28  # bus voltage override, V; NaN = nominal
NF = 29

# ---------------------------------------------------------------- sensors (SensorFrame order)
S_BUS_V = 0
S_REL_POS = 1  # 3
S_REL_VEL = 4  # 3
S_REL_ANG = 7  # 3
S_REL_RATE = 10  # 3
S_RING_EXT = 13
S_RING_EXT_B = 14
S_RING_SPEED = 15
S_RING_LAT = 16  # 2
S_RING_TILT = 18  # 2
S_AX = 20
S_LAT = 21
S_READY = 22
S_RETRACTED = 23
S_ALIGN = 24  # 3
S_LATCH = 27  # 6
S_ICONTACT = 33  # 3
S_DRIVE_I = 36
S_HOOK_POS = 37  # 12
S_HOOK_LOAD = 49  # 12
S_MOT_I = 61  # 2
S_MOT_W = 63  # 2
S_TENSION = 65  # 2
S_P_CAV = 67
S_P_CAV_B = 68
S_P_TUN = 69
S_PUSHROD = 70  # 4
NS = 74

# ---------------------------------------------------------------- truth channels
T_KE = 0
T_STORED = 1
T_D_DAMP = 2
T_D_BRAKE = 3
T_D_CONTACT = 4
T_D_OTHER = 5
T_W_ACT = 6
T_AX = 7
T_LAT = 8
T_IN_CONTACT = 9
T_KE_TRANS = 10
T_KE_ROT = 11
T_KE_RING = 12
T_SEP_SPEED = 13
T_PIN_ERR = 14
T_SEAL_F = 15
T_PEAK_AX = 16
T_PEAK_LAT = 17
T_MIN_GAP = 18
T_RING_EXT = 19
NT = 20

# ---------------------------------------------------------------- parameters P
P_DT = 0
P_MS = 1
P_IS = 2  # 3
P_DS = 5
P_MC = 6
P_IC = 7  # 3
P_DC = 10
P_MR = 11
P_IR = 12  # 3
P_E_READY = 15
P_D_MIN = 16
P_RA = 17
P_HA = 18
P_H = 19
P_TANB = 20
P_SINB = 21
P_COSB = 22
P_CG = 23
P_EOUT = 24
P_RF = 25
P_F_RIN = 26
P_F_ROUT = 27
P_RL = 28
P_RI = 29
P_RSEAL = 30
P_RH = 31
P_RPR = 32
P_RPIN = 33
P_LPIN = 34
P_CPIN = 35
P_TANBP = 36
P_SINBP = 37
P_COSBP = 38
P_KPIN = 39
P_CPIN_D = 40
P_ICONTACT_GAP = 41
P_KC = 42
P_KSTRUCT = 43
P_CHC = 44
P_MU = 45
P_VREG = 46
P_KAX = 47
P_F0 = 48
P_KSTOP = 49
P_KLAT = 50
P_KTILT = 51
P_KROLL = 52
P_CROLL = 53
P_CMAX = 54
P_DAMP_ALPHA = 55
P_CLAT_R = 56
P_CTILT_R = 57
P_BMAX = 58
P_BFWD = 59
P_BREV = 60
P_VTOL = 61
P_KL = 62
P_PLAY = 63
P_CL = 64
P_LTOL = 65
P_ALIGN_GAP = 66
P_ALIGN_TOL = 67
P_VMAX = 68
P_DRIVE_ALPHA = 69
P_I_PER_N = 70
P_I_IDLE = 71
P_I_STALL = 72
P_V_MIN_BUS = 73
P_KCENT = 74
P_CCENT = 75
P_FCENT = 76
P_KCENT_T = 77
P_CCENT_T = 78
P_MCENT = 79
P_RM = 80
P_KT = 81
P_BM = 82
P_GEAR = 83
P_DRUM = 84
P_ETA = 85
P_KSEG = 86  # hook-level cable segment stiffness, N per unit stroke
P_SC = 87
P_MA = 88
P_QC = 89
P_SH = 90
P_REACH = 91
P_HLOAD_MAX = 92
P_HS = 93
P_KSEAL = 94
P_NSEAL = 95
P_CSEAL = 96
P_DSEAL_MIN = 97
P_C_NOM = 98
P_C_OPEN = 99
P_VCAV = 100
P_C_VALVE = 101
P_PCAB = 102
P_AT = 103
P_VTUN = 104
P_C_TVALVE = 105
P_RT = 106
P_PR_FF = 107
P_PR_FE = 108
P_PR_STROKE = 109
P_BUS = 110
P_N_POS = 111
P_N_VEL = 112
P_N_ANG = 113
P_N_RATE = 114
P_N_EXT = 115
P_Q_EXT = 116
P_N_RANG = 117
P_N_LOAD = 118
P_Q_LOAD = 119
P_N_CUR = 120
P_Q_CUR = 121
P_N_HPOS = 122
P_Q_HPOS = 123
P_N_HLOAD = 124
P_Q_HLOAD = 125
P_N_MSPD = 126
P_N_TENS = 127
P_N_PRES = 128
P_Q_PRES = 129
P_N_VOLT = 130
P_Q_VOLT = 131
P_READY_TOL = 132
P_RETRACT_TOL = 133
P_KSOFT = 134  # hook over-centre (stroke end) stiffness, N per unit stroke
P_C_TVENT = 135  # tunnel vent orifice conductance to vacuum, kg/(s Pa)
P_C_TOPEN = 136  # tunnel to space through an unsealed (opened) joint, kg/(s Pa)
# per-element geometry (cos, sin of the angle about x) and per-hook rigging
P_PETAL_C = 140  # 3
P_PETAL_S = 143  # 3
P_FACE_C = 146  # 3
P_FACE_S = 149  # 3
P_LATCH_C = 152  # 6
P_LATCH_S = 158  # 6
P_STRUCT_C = 164  # 3
P_STRUCT_S = 167  # 3
P_PIN_C = 170  # 2
P_PIN_S = 172  # 2
P_PR_C = 174  # 4
P_PR_S = 178  # 4
P_HOOK_C = 182  # 12
P_HOOK_S = 194  # 12
P_HK_GAIN = 206  # 12
P_HK_OFF = 218  # 12
P_HK_FRIC = 230  # 12: friction at the hook, N
P_HK_KREG = 242  # 12: force-regulating spring stiffness, N/m
NP = 254

# work array (per run, allocated once per advance call)
W_FORCE = 0  # 18: world force (3) and torque (3) per body
W_OMEGA = 18  # 9: world angular velocity per body
W_NREC = 27
W_REC = 32  # records of non-conservative forces, REC floats each
REC = 16
MAX_REC = 48
W_U = W_REC + REC * MAX_REC  # stored energy, J
W_FS = W_U + 1  # buffer spring force on the ring (outward), N
W_FB = W_U + 2  # brake force on the ring (outward), N
W_EDOT = W_U + 3
W_VB = W_U + 4
W_RATES = W_U + 5  # 5: lateral y, z rate (m/s), tilt y, z rate (rad/s), axial rate
W_LGAP = W_U + 10  # 6: latch axial gap, m
W_LLAT = W_U + 16  # 6: latch lateral error, m
W_ALIGN = W_U + 22  # 3
W_HGAP = W_U + 25  # 12: structural gap at each hook, m
W_HF = W_U + 37  # 12: clamp force per hook, N
W_PRGAP = W_U + 49  # 4: gap at each push-rod, m
W_SGAP = W_U + 53  # 3: gap at the structural points, m
W_SEALC = W_U + 56  # 3: seal compression, m
W_PINERR = W_U + 59
W_INCONTACT = W_U + 60
W_SEALF = W_U + 61
W_EXT = W_U + 62
W_LAT = W_U + 63  # 2
W_TILT = W_U + 65  # 2
W_CENT = W_U + 67  # 4: centring targets
NW = W_U + 72
