"""Index layout of the plant's flat float64 arrays (state, parameters, commands, faults, sensors).

The numba kernels in :mod:`sim_bridge._kernel` work on plain float64 arrays so
that one definition serves a single run and a batch (a leading batch axis).
Every offset is handed out by a :class:`Slots` counter in declaration order, so
adding a variable means one new line where it belongs and nothing is
renumbered by hand. The counters run at import; the results are plain
module-level ``int`` constants, which numba compiles in as constants. Vector
entries give their length to ``take``; parameter comments name the preset key
(its suffix is the unit) or say how the value is derived.
"""

from __future__ import annotations


class Slots:
    """Hands out consecutive index ranges of one flat array.

    ``take(n)`` returns the first index of the next ``n`` slots; ``size`` is
    the length of the array declared so far (read it after the last ``take``).
    """

    def __init__(self) -> None:
        self.size = 0

    def take(self, n: int = 1) -> int:
        """First index of ``n`` new consecutive slots."""
        if n < 1:
            raise ValueError(f"a slot range needs at least one slot, got {n}")
        first = self.size
        self.size += n
        return first


# ---------------------------------------------------------------- state X
# Three free rigid bodies, 13 numbers each: CoM position (3, world m), CoM velocity
# (3, m/s), attitude quaternion body->world (4: w, x, y, z), body-frame rate (3, rad/s).
# The kernels address body b at b * BODY, so the bodies are the first slots.
BODY = 13
B_STATION = 0
B_CHASER = 1
B_RING = 2
_x = Slots()
_x.take(3 * BODY)
X_NUT = _x.take()  # drive nut position, m (ring extension the nut holds)
X_NUT_V = _x.take()  # drive nut speed, m/s
X_DAMP = _x.take(5)  # lagged damper forces on the ring: axial, lat y, lat z (N), tilt y, z (N m)
X_LATCH = _x.take(6)  # latch engaged flags (0/1)
X_STICK = _x.take()  # brake stuck (1) or slipping (0)
X_CABLE = _x.take(2)  # cable position per hook set, m
X_MOT_W = _x.take(2)  # hook motor speed, rad/s
X_MOT_I = _x.take(2)  # hook motor current, A
X_HOOK_Q = _x.take(12)  # hook positions, 0 open .. 1 closed
X_P_CAV = _x.take()  # cavity pressure between the seals, Pa
X_P_TUN = _x.take()  # tunnel pressure, Pa
X_FIRED = _x.take()  # push-rods released (0/1)
X_D_DAMP = _x.take()  # energy dissipated by the EM dampers, J
X_D_BRAKE = _x.take()  # ... by the friction brake, J
X_D_CONTACT = _x.take()  # ... by contact damping and friction, J
X_D_OTHER = _x.take()  # ... by latch, seal, pin and roll damping, J
X_W_ACT = _x.take()  # work done on the mechanism by actuators (drive, centring, hooks,
# push-rods, pressure), J
# outputs of the last step (recorded, not integrated)
X_PEAK_AX = _x.take()  # peak |axial load| since the last reset, N
X_PEAK_LAT = _x.take()  # peak lateral load since the last reset, N
X_AX = _x.take()  # axial load on the chaser (+ = compression, pushing the chaser away), N
X_LAT = _x.take()  # lateral load magnitude on the chaser, N
X_DRIVE_F = _x.take()  # force through the ring drive (spring + brake), N
X_DRIVE_I = _x.take()  # drive motor current, A
X_TENSION = _x.take(2)  # cable tension per set, N
X_HOOK_LOAD = _x.take(12)  # per-hook load, N
X_ALIGN = _x.take(3)  # petal alignment sensors (0/1)
X_ICONTACT = _x.take(3)  # interface-contact switches (0/1)
X_IN_CONTACT = _x.take()  # any contact force (0/1)
X_PIN_ERR = _x.take()  # largest guide-pin centring error, m
X_RING_EXT = _x.take()  # ring extension, m
X_RING_RATE = _x.take()  # ring extension rate, m/s
X_RING_LAT = _x.take(2)  # ring lateral offset from the chaser axis, m
X_RING_TILT = _x.take(2)  # ring tilt (pitch, yaw) from the chaser axis, rad
X_SEAL_F = _x.take()  # total seal force, N
X_SEAL_MIN = _x.take()  # smallest seal compression, m
X_HOOK_ENG = _x.take(12)  # hook is clamping (0/1)
X_MIN_GAP = _x.take()  # smallest structural gap, m
X_PR_GAP = _x.take(4)  # structural gap at each push-rod, m
X_CENT = _x.take(4)  # centring actuator output (lagged): lat y, z (N), tilt y, z (N m)
X_THR_T = _x.take()  # chaser GNC: time since the mechanism reported contact, s (-1 = idle)
X_THR_BURN = _x.take()  # chaser GNC: thrust time spent on this contact, s
X_THRUST = _x.take()  # chaser axial thrust now, N (output of the last step)
X_W_THRUST = _x.take()  # work done by the chaser's thrust (part of X_W_ACT), J
X_STOP_HITS = _x.take()  # steps with the ring on a lateral or tilt stop (event counter)
X_LATCH_RIDE = _x.take(6)  # latch tongue riding its catch's ramp (0/1)
NX = _x.size

# ---------------------------------------------------------------- commands U (ActuatorCommand)
_u = Slots()
U_DAMPER = _u.take()  # EM damper coefficient, N s/m
U_BRAKE = _u.take()  # brake slip force, N
U_RING_SPEED = _u.take()  # ring drive speed, m/s (+ = extend)
U_CENTRING = _u.take()  # ring centring on (0/1)
U_ARM = _u.take()  # latches armed (0/1)
U_RELEASE = _u.take()  # latches released (0/1)
U_HOOK_V = _u.take(2)  # hook motor voltage per set, V
U_SEAL_VALVE = _u.take()  # seal cavity fill valve open (0/1)
U_TUNNEL_VALVE = _u.take()  # tunnel fill valve open (0/1)
U_PUSHRODS = _u.take()  # push-rods fired (0/1)
U_TUNNEL_VENT = _u.take()  # tunnel vent valve (to vacuum) open (0/1)
U_CONTACT = _u.take()  # contact reported to the chaser's GNC (0/1): it pushes after a delay
NU = _u.size

# ---------------------------------------------------------------- faults F
_f = Slots()
F_LATCH_FAIL = _f.take(6)  # flags
F_HOOK_JAM = _f.take(12)  # jam position, NaN = not jammed
F_MOTOR_FAIL = _f.take(2)  # flags
F_CABLE_BREAK = _f.take(2)  # flags
F_DAMPER_SCALE = _f.take()  # 1.0 = healthy
F_BRAKE_SCALE = _f.take()  # 1.0 = healthy
F_DRIVE_JAM = _f.take()  # flag
F_SEAL_LEAK = _f.take()  # extra leak out of the cavity, kg/s
F_UNLOCK_FAIL = _f.take(2)  # flags
F_BUS_V = _f.take()  # bus voltage override, V; NaN = nominal
F_THRUST_SCALE = _f.take()  # chaser thrust magnitude factor, 1.0 = healthy (0 = no thrust)
F_THRUST_DELAY = _f.take()  # extra delay before the chaser fires, s (late thrust)
F_THRUST_STUCK = _f.take()  # flag: thrust does not stop (ignores capture and its burn limit)
NF = _f.size

# ---------------------------------------------------------------- sensors (SensorFrame order)
_s = Slots()
S_BUS_V = _s.take()
S_REL_POS = _s.take(3)
S_REL_VEL = _s.take(3)
S_REL_ANG = _s.take(3)
S_REL_RATE = _s.take(3)
S_RING_EXT = _s.take()
S_RING_EXT_B = _s.take()
S_RING_SPEED = _s.take()
S_RING_LAT = _s.take(2)
S_RING_TILT = _s.take(2)
S_AX = _s.take()
S_LAT = _s.take()
S_READY = _s.take()
S_RETRACTED = _s.take()
S_ALIGN = _s.take(3)
S_LATCH = _s.take(6)
S_ICONTACT = _s.take(3)
S_DRIVE_I = _s.take()
S_HOOK_POS = _s.take(12)
S_HOOK_LOAD = _s.take(12)
S_MOT_I = _s.take(2)
S_MOT_W = _s.take(2)
S_TENSION = _s.take(2)
S_P_CAV = _s.take()
S_P_CAV_B = _s.take()
S_P_TUN = _s.take()
S_PUSHROD = _s.take(4)
NS = _s.size

# ---------------------------------------------------------------- truth channels
_t = Slots()
T_KE = _t.take()
T_STORED = _t.take()
T_D_DAMP = _t.take()
T_D_BRAKE = _t.take()
T_D_CONTACT = _t.take()
T_D_OTHER = _t.take()
T_W_ACT = _t.take()
T_AX = _t.take()
T_LAT = _t.take()
T_IN_CONTACT = _t.take()
T_KE_TRANS = _t.take()
T_KE_ROT = _t.take()
T_KE_RING = _t.take()
T_SEP_SPEED = _t.take()
T_PIN_ERR = _t.take()
T_SEAL_F = _t.take()
T_PEAK_AX = _t.take()
T_PEAK_LAT = _t.take()
T_MIN_GAP = _t.take()
T_RING_EXT = _t.take()
T_W_THRUST = _t.take()
T_THRUST = _t.take()
T_STOP_HITS = _t.take()
T_KE_COMMON = _t.take()
NT = _t.size

# ---------------------------------------------------------------- parameters P (Preset.to_params)
# One declaration a line, like every block here: runs of alike lines are a list, not
# repeated logic.
_p = Slots()
P_DT = _p.take()  # step, s
P_MS = _p.take()  # vehicles.station_mass_kg
P_IS = _p.take(3)  # vehicles.station_inertia_kg_m2
P_DS = _p.take()  # vehicles.station_cg_to_interface_m
P_MC = _p.take()  # vehicles.chaser_mass_kg
P_IC = _p.take(3)  # vehicles.chaser_inertia_kg_m2
P_DC = _p.take()  # vehicles.chaser_cg_to_interface_m
P_MR = _p.take()  # ring.mass_kg
P_IR = _p.take(3)  # ring.inertia_kg_m2
P_E_READY = _p.take()  # ring.ready_extension_m
P_D_MIN = _p.take()  # -ring.retract_overtravel_m
P_RA = _p.take()  # ring.petal_radius_m
P_HA = _p.take()  # ring.petal_tip_depth_m
P_H = _p.take()  # ring.guide_height_m
P_TANB = _p.take()  # petal guide flank angle: tan
P_SINB = _p.take()  # ... sin
P_COSB = _p.take()  # ... cos
P_CG = _p.take()  # ring.petal_clearance_m
P_EOUT = _p.take()  # ring.petal_outer_m
P_RF = _p.take()  # ring.face_radius_m
P_F_RIN = _p.take()  # ring.face_inner_radius_m
P_F_ROUT = _p.take()  # ring.face_outer_radius_m
P_RL = _p.take()  # ring.latch_radius_m
P_RI = _p.take()  # interface.structural_radius_m
P_RSEAL = _p.take()  # interface.seal_radius_m
P_RH = _p.take()  # interface.hook_radius_m
P_RPR = _p.take()  # interface.pushrod_radius_m
P_RPIN = _p.take()  # interface.guide_pin_radius_m
P_LPIN = _p.take()  # interface.guide_pin_length_m
P_CPIN = _p.take()  # interface.guide_pin_clearance_m
P_TANBP = _p.take()  # guide pin cone angle: tan
P_SINBP = _p.take()  # ... sin
P_COSBP = _p.take()  # ... cos
P_KPIN = _p.take()  # interface.guide_pin_stiffness_n_m
P_CPIN_D = _p.take()  # interface.guide_pin_damping_n_s_m
P_ICONTACT_GAP = _p.take()  # interface.contact_gap_m
P_KC = _p.take()  # contact.petal_stiffness_n_m1_5
P_KSTRUCT = _p.take()  # contact.structural_stiffness_n_m1_5
P_CHC = _p.take()  # contact.hunt_crossley_damping_s_m
P_MU = _p.take()  # contact.friction_coefficient
P_VREG = _p.take()  # contact.friction_regularisation_m_s
P_KAX = _p.take()  # buffer.axial_stiffness_n_m
P_F0 = _p.take()  # buffer.axial_preload_n
P_KSTOP = _p.take()  # buffer.stop_stiffness_n_m
P_KLAT = _p.take()  # buffer.lateral_stiffness_n_m
P_KTILT = _p.take()  # buffer.tilt_stiffness_n_m_rad
P_KROLL = _p.take()  # buffer.roll_stiffness_n_m_rad
P_CROLL = _p.take()  # buffer.roll_damping_n_m_s_rad
P_CMAX = _p.take()  # damper.max_coefficient_n_s_m
P_DAMP_ALPHA = _p.take()  # damper lag per step, 1 - exp(-dt / damper.lag_s)
P_CLAT_R = _p.take()  # damper.lateral_ratio
P_CTILT_R = _p.take()  # damper.tilt_ratio_m2
P_BMAX = _p.take()  # brake.max_slip_n
P_BFWD = _p.take()  # brake.forward_ratio
P_BREV = _p.take()  # brake.reverse_ratio
P_VTOL = _p.take()  # brake.stick_speed_m_s
P_BTILT_R = _p.take()  # brake.tilt_ratio_m
P_BLAT_R = _p.take()  # brake.lateral_ratio
P_KL = _p.take()  # latch.stiffness_n_m
P_PLAY = _p.take()  # latch.play_m
P_CL = _p.take()  # latch.damping_n_s_m
P_LTOL = _p.take()  # latch.lateral_tolerance_m
P_ALIGN_GAP = _p.take()  # latch.alignment_gap_m
P_ALIGN_TOL = _p.take()  # latch.alignment_tolerance_m
P_VMAX = _p.take()  # drive.max_speed_m_s
P_DRIVE_ALPHA = _p.take()  # drive lag per step, 1 - exp(-dt / drive.lag_s)
P_I_PER_N = _p.take()  # drive.current_per_force_a_n
P_I_IDLE = _p.take()  # drive.idle_current_a
P_I_STALL = _p.take()  # drive.stall_current_a
P_V_MIN_BUS = _p.take()  # drive.min_bus_voltage_v
P_KCENT = _p.take()  # drive.centring_stiffness_n_m
P_CCENT = _p.take()  # drive.centring_damping_n_s_m
P_FCENT = _p.take()  # drive.centring_force_max_n
P_KCENT_T = _p.take()  # drive.centring_tilt_stiffness_n_m_rad
P_CCENT_T = _p.take()  # drive.centring_tilt_damping_n_m_s_rad
P_MCENT = _p.take()  # drive.centring_moment_max_n_m
P_RM = _p.take()  # hooks.motor_resistance_ohm
P_KT = _p.take()  # hooks.motor_constant_n_m_a
P_BM = _p.take()  # hooks.motor_viscous_n_m_s
P_GEAR = _p.take()  # hooks.gear_ratio
P_DRUM = _p.take()  # hooks.drum_radius_m
P_ETA = _p.take()  # hooks.gear_efficiency
P_KSEG = _p.take()  # hook-level cable segment stiffness, N per unit stroke
P_SC = _p.take()  # hooks.cable_travel_m
P_MA = _p.take()  # hooks.mechanical_advantage
P_QC = _p.take()  # hooks.engage_fraction
P_SH = _p.take()  # hooks.clamp_travel_m
P_REACH = _p.take()  # hooks.reach_m
P_HLOAD_MAX = _p.take()  # hooks.load_sensor_max_n
P_HS = _p.take()  # seals.protrusion_m
P_KSEAL = _p.take()  # seals.force_at_reference_n
P_NSEAL = _p.take()  # seals.exponent
P_CSEAL = _p.take()  # seals.damping_n_s_m
P_DSEAL_MIN = _p.take()  # seals.sealed_min_compression_m
P_C_NOM = _p.take()  # cavity leak conductance, seals made, kg/(s Pa)
P_C_OPEN = _p.take()  # cavity leak conductance, seals open, kg/(s Pa)
P_VCAV = _p.take()  # seals.cavity_volume_m3
P_C_VALVE = _p.take()  # seal valve conductance, kg/(s Pa)
P_PCAB = _p.take()  # pressure.cabin_pa
P_AT = _p.take()  # tunnel cross-section, m^2
P_VTUN = _p.take()  # pressure.tunnel_volume_m3
P_C_TVALVE = _p.take()  # tunnel valve conductance, kg/(s Pa)
P_RT = _p.take()  # gas constant x temperature, J/kg
P_PR_FF = _p.take()  # pushrods.force_compressed_n
P_PR_FE = _p.take()  # pushrods.force_extended_n
P_PR_STROKE = _p.take()  # pushrods.stroke_m
P_BUS = _p.take()  # power.bus_voltage_v
P_N_POS = _p.take()  # sensors.rel_pos_noise_m
P_N_VEL = _p.take()  # sensors.rel_vel_noise_m_s
P_N_ANG = _p.take()  # sensors.rel_angle_noise_rad
P_N_RATE = _p.take()  # sensors.rel_rate_noise_rad_s
P_N_EXT = _p.take()  # sensors.ring_noise_m
P_Q_EXT = _p.take()  # sensors.ring_quantum_m
P_N_RANG = _p.take()  # sensors.ring_angle_noise_rad
P_N_LOAD = _p.take()  # sensors.load_noise_n
P_Q_LOAD = _p.take()  # sensors.load_quantum_n
P_N_CUR = _p.take()  # sensors.current_noise_a
P_Q_CUR = _p.take()  # sensors.current_quantum_a
P_N_HPOS = _p.take()  # sensors.hook_pos_noise
P_Q_HPOS = _p.take()  # sensors.hook_pos_quantum
P_N_HLOAD = _p.take()  # sensors.hook_load_noise_n
P_Q_HLOAD = _p.take()  # sensors.hook_load_quantum_n
P_N_MSPD = _p.take()  # sensors.motor_speed_noise_rad_s
P_N_TENS = _p.take()  # sensors.tension_noise_n
P_N_PRES = _p.take()  # sensors.pressure_noise_pa
P_Q_PRES = _p.take()  # sensors.pressure_quantum_pa
P_N_VOLT = _p.take()  # sensors.voltage_noise_v
P_Q_VOLT = _p.take()  # sensors.voltage_quantum_v
P_READY_TOL = _p.take()  # sensors.ready_tolerance_m
P_RETRACT_TOL = _p.take()  # sensors.retracted_tolerance_m
P_KSOFT = _p.take()  # hook over-centre (stroke end) stiffness, N per unit stroke
P_C_TVENT = _p.take()  # tunnel vent orifice conductance to vacuum, kg/(s Pa)
P_C_TOPEN = _p.take()  # tunnel to space through an unsealed (opened) joint, kg/(s Pa)
P_FLAT0 = _p.take()  # buffer.lateral_preload_n
P_MTILT0 = _p.take()  # buffer.tilt_preload_n_m
P_LAT_STOP = _p.take()  # buffer.lateral_stop_m
P_TILT_STOP = _p.take()  # buffer.tilt_stop_rad (from tilt_stop_deg)
P_KLSTOP = _p.take()  # buffer.lateral_stop_stiffness_n_m
P_PRELOAD_EPS = _p.take()  # buffer.preload_smoothing_m: width over which a preload builds up
P_LATCH_F = _p.take()  # latch.engagement_force_n: a tongue's push-back while on its ramp
P_LATCH_RAMP = _p.take()  # latch.ramp_height_m: axial length of the ramp above the play
P_THR_F = _p.take()  # chaser.thrust_n
P_THR_DELAY = _p.take()  # chaser.thrust_delay_s
P_THR_MAX = _p.take()  # chaser.thrust_max_s
P_MTOT = _p.take()  # station + chaser + ring mass, kg (the thrust's frame is the centre of mass)
# per-element geometry (cos, sin of the angle about x) and per-hook rigging
P_PETAL_C = _p.take(3)
P_PETAL_S = _p.take(3)
P_FACE_C = _p.take(6)
P_FACE_S = _p.take(6)
P_LATCH_C = _p.take(6)
P_LATCH_S = _p.take(6)
P_STRUCT_C = _p.take(3)
P_STRUCT_S = _p.take(3)
P_PIN_C = _p.take(2)
P_PIN_S = _p.take(2)
P_PR_C = _p.take(4)
P_PR_S = _p.take(4)
P_HOOK_C = _p.take(12)
P_HOOK_S = _p.take(12)
P_HK_GAIN = _p.take(12)  # hooks.gain
P_HK_OFF = _p.take(12)  # hooks.offset
P_HK_FRIC = _p.take(12)  # friction at the hook, N
P_HK_KREG = _p.take(12)  # force-regulating spring stiffness, N/m
NP = _p.size

# ---------------------------------------------------------------- work array W
# Scratch of one force evaluation (per run, allocated once per advance call).
REC = 16  # floats per record of a non-conservative force (see _kernel.ledger)
MAX_REC = 48
_w = Slots()
W_FORCE = _w.take(18)  # world force (3) and torque (3) per body
W_OMEGA = _w.take(9)  # world angular velocity per body
W_NREC = _w.take()  # number of records
_w.take(4)  # spare
W_REC = _w.take(REC * MAX_REC)  # the records
W_U = _w.take()  # stored energy, J
W_FS = _w.take()  # buffer spring force on the ring (outward), N
W_FB = _w.take()  # brake force on the ring (outward), N
W_EDOT = _w.take()  # ring extension rate, m/s
W_VB = _w.take()  # brake slip speed (ring relative to nut), m/s
W_RATES = _w.take(5)  # lateral y, z rate (m/s), tilt y, z rate (rad/s), axial rate
W_LGAP = _w.take(6)  # latch axial gap, m
W_LLAT = _w.take(6)  # latch lateral error, m
W_ALIGN = _w.take(3)  # petal alignment made (0/1)
W_HGAP = _w.take(12)  # structural gap at each hook, m
W_HF = _w.take(12)  # clamp force per hook, N
W_PRGAP = _w.take(4)  # gap at each push-rod, m
W_SGAP = _w.take(3)  # gap at the structural points, m
W_SEALC = _w.take(3)  # seal compression, m
W_PINERR = _w.take()  # largest guide-pin centring error, m
W_INCONTACT = _w.take()  # any contact force (0/1)
W_SEALF = _w.take()  # total seal force, N
W_EXT = _w.take()  # ring extension, m
W_LAT = _w.take(2)  # ring lateral offset, m
W_TILT = _w.take(2)  # ring tilt, rad
W_CENT = _w.take(4)  # centring targets: lat y, z (N), tilt y, z (N m)
W_THR = _w.take(3)  # chaser thrust, world N (applied in the centre-of-mass frame)
W_THR_P0 = _w.take()  # the thrust's power at the start of the step, W
W_STOP = _w.take()  # the ring is on a lateral or tilt stop (0/1)
W_LATCH_U = _w.take(6)  # stored energy of each latch tongue riding its catch, J
NW = _w.size
