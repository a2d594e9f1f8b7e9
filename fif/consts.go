package fif

// Channel kinds (FIFFV_*_CH).
const (
	KindMEG      int32 = 1
	KindEEG      int32 = 2
	KindStim     int32 = 3
	KindBio      int32 = 102
	KindEOG      int32 = 202
	KindRefMEG   int32 = 301
	KindEMG      int32 = 302
	KindECG      int32 = 402
	KindMisc     int32 = 502
	KindResp     int32 = 602
	KindSEEG     int32 = 802
	KindDBS      int32 = 803
	KindSyst     int32 = 900
	KindECoG     int32 = 902
	KindIAS      int32 = 910
	KindExci     int32 = 920
	KindDipole   int32 = 1000
	KindGoodness int32 = 1001
	KindFNIRS    int32 = 1100
	KindTemp     int32 = 1200
	KindGalvanic int32 = 1300
)

// Coordinate frames (FIFFV_COORD_*, FIFFV_MNE_COORD_*).
const (
	FrameUnknown   int32 = 0
	FrameDevice    int32 = 1
	FrameIsotrak   int32 = 2
	FrameHPI       int32 = 3
	FrameHead      int32 = 4
	FrameMRI       int32 = 5
	FrameMRISlice  int32 = 6
	FrameCTFDevice int32 = 1001
	FrameCTFHead   int32 = 1004
	FrameMRIVoxel  int32 = 2001
	FrameRAS       int32 = 2002
	FrameMNITal    int32 = 2003
)

// Units (FIFF_UNIT_*).
const (
	UnitNone int32 = -1
	UnitV    int32 = 107
	UnitT    int32 = 112
	UnitTM   int32 = 201
	UnitAM   int32 = 202
)

// Coil types used to tell magnetometers from gradiometers and systems.
const (
	CoilNone              int32 = 0
	CoilEEG               int32 = 1
	CoilNM122             int32 = 2
	CoilVVPlanarW         int32 = 3011
	CoilVVPlanarT1        int32 = 3012
	CoilVVPlanarT2        int32 = 3013
	CoilVVPlanarT3        int32 = 3014
	CoilVVPlanarT4        int32 = 3015
	CoilVVMagW            int32 = 3021
	CoilVVMagT1           int32 = 3022
	CoilVVMagT2           int32 = 3023
	CoilVVMagT3           int32 = 3024
	CoilVVMagT4           int32 = 3025
	CoilMagnesMag         int32 = 4001
	CoilMagnesGrad        int32 = 4002
	CoilCTFGrad           int32 = 5001
	CoilCTFRefMag         int32 = 5002
	CoilCTFRefGrad        int32 = 5003
	CoilCTFOffdiagRefGrad int32 = 5004
	CoilKITGrad           int32 = 6001
	CoilBabyGrad          int32 = 7001
)

// Digitizer point kinds (FIFFV_POINT_*).
const (
	PointCardinal int32 = 1
	PointHPI      int32 = 2
	PointEEG      int32 = 3
	PointExtra    int32 = 4
	PointHead     int32 = 5

	PointLPA    int32 = 1
	PointNasion int32 = 2
	PointRPA    int32 = 3
)
