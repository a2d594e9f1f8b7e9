package tag

import "fmt"

// Tag kinds (the first word of a tag header). Names follow the FIFF
// dictionary (FIFF_FILE_ID -> FileID) so they can be looked up there.
const (
	FileID        int32 = 100
	DirPointer    int32 = 101
	Dir           int32 = 102
	BlockID       int32 = 103
	BlockStart    int32 = 104
	BlockEnd      int32 = 105
	FreeList      int32 = 106
	FreeBlock     int32 = 107
	Nop           int32 = 108
	ParentFileID  int32 = 109
	ParentBlockID int32 = 110
	BlockName     int32 = 111
	BlockVersion  int32 = 112
	Creator       int32 = 113
	Modifier      int32 = 114
	RefRole       int32 = 115
	RefFileID     int32 = 116
	RefFileNum    int32 = 117
	RefFileName   int32 = 118

	DacqPars     int32 = 150
	DacqStim     int32 = 151
	DeviceType   int32 = 152
	DeviceModel  int32 = 153
	DeviceSerial int32 = 154
	DeviceSite   int32 = 155
	HeLevelRaw   int32 = 156
	HeliumLevel  int32 = 157
	OrigFileGUID int32 = 158
	UTCOffset    int32 = 159

	NChan           int32 = 200
	SFreq           int32 = 201
	DataPack        int32 = 202
	ChInfo          int32 = 203
	MeasDate        int32 = 204
	Subject         int32 = 205
	Comment         int32 = 206
	Nave            int32 = 207
	FirstSample     int32 = 208
	LastSample      int32 = 209
	AspectKind      int32 = 210
	RefEvent        int32 = 211
	Experimenter    int32 = 212
	DigPoint        int32 = 213
	ChPos           int32 = 214
	HPISlopes       int32 = 215
	HPINCoil        int32 = 216
	ReqEvent        int32 = 217
	ReqLimit        int32 = 218
	Lowpass         int32 = 219
	BadChs          int32 = 220
	ArtefRemoval    int32 = 221
	CoordTrans      int32 = 222
	Highpass        int32 = 223
	ChCals          int32 = 224
	HPIBadChs       int32 = 225
	HPICorrCoeff    int32 = 226
	EventComment    int32 = 227
	NoSamples       int32 = 228
	FirstTime       int32 = 229
	SubaveSize      int32 = 230
	SubaveFirst     int32 = 231
	Name            int32 = 233
	DigString       int32 = 234
	LineFreq        int32 = 235
	HPICoilFreq     int32 = 236
	HPICoilMoments  int32 = 240
	HPIFitGoodness  int32 = 241
	HPIFitAccept    int32 = 242
	HPIFitGoodLimit int32 = 243
	HPIFitDistLimit int32 = 244
	HPICoilNo       int32 = 245
	HPICoilsUsed    int32 = 246
	HPIDigOrder     int32 = 247
	ChScanNo        int32 = 250
	ChLogicalNo     int32 = 251
	ChKind          int32 = 252
	ChRange         int32 = 253
	ChCal           int32 = 254
	ChLoc           int32 = 255
	ChUnit          int32 = 256
	ChUnitMul       int32 = 257
	ChDacqName      int32 = 258
	GantryAngle     int32 = 282

	SSSFrame      int32 = 263
	SSSJob        int32 = 264
	SSSOrigin     int32 = 265
	SSSOrdIn      int32 = 266
	SSSOrdOut     int32 = 267
	SSSNMag       int32 = 268
	SSSComponents int32 = 269
	SSSCalChans   int32 = 270
	SSSCalCorrs   int32 = 271
	SSSStCorr     int32 = 272
	SSSBaseIn     int32 = 273
	SSSBaseOut    int32 = 274
	SSSBaseVirt   int32 = 275
	SSSNorm       int32 = 276
	SSSIterate    int32 = 277
	SSSNFree      int32 = 278
	SSSStLength   int32 = 279
	SSSOperator   int32 = 290
	SSSPsinv      int32 = 291
	SSSCTC        int32 = 292

	DataBuffer   int32 = 300
	DataSkip     int32 = 301
	Epoch        int32 = 302
	DataSkipSamp int32 = 303

	ChCoilType   int32 = 350
	ChCoordFrame int32 = 351

	SubjID         int32 = 400
	SubjFirstName  int32 = 401
	SubjMiddleName int32 = 402
	SubjLastName   int32 = 403
	SubjBirthDay   int32 = 404
	SubjSex        int32 = 405
	SubjHand       int32 = 406
	SubjWeight     int32 = 407
	SubjHeight     int32 = 408
	SubjComment    int32 = 409
	SubjHisID      int32 = 410

	ProjID        int32 = 500
	ProjName      int32 = 501
	ProjAim       int32 = 502
	ProjPersons   int32 = 503
	ProjComment   int32 = 504
	EventChannels int32 = 600
	EventList     int32 = 601
	EventChannel  int32 = 602
	EventBits     int32 = 603

	DecouplerMatrix int32 = 800
	RefPath         int32 = 1101

	// CTF/KIT-related and misc.
	XPlotterLayout int32 = 3501

	// Projection items.
	ProjItemKind       int32 = 3411
	ProjItemTime       int32 = 3412
	ProjItemNVec       int32 = 3414
	ProjItemVectors    int32 = 3415
	ProjItemDefinition int32 = 3416
	ProjItemChNameList int32 = 3417

	// BEM and spheres.
	SphereOrigin     int32 = 3001
	SphereRadius     int32 = 3002
	BEMSurfID        int32 = 3101
	BEMSurfName      int32 = 3102
	BEMSurfNNode     int32 = 3103
	BEMSurfNTri      int32 = 3104
	BEMSurfNodes     int32 = 3105
	BEMSurfTriangles int32 = 3106
	BEMSurfNormals   int32 = 3107
	BEMPotSolution   int32 = 3110
	BEMApprox        int32 = 3111
	BEMCoordFrame    int32 = 3112
	BEMSigma         int32 = 3113

	// MNE extensions.
	MNERowNames                  int32 = 3502
	MNEColNames                  int32 = 3503
	MNENRow                      int32 = 3504
	MNENCol                      int32 = 3505
	MNECoordFrame                int32 = 3506
	MNEChNameList                int32 = 3507
	MNEFileName                  int32 = 3508
	MNESourceSpacePoints         int32 = 3510
	MNESourceSpaceNormals        int32 = 3511
	MNESourceSpaceNPoints        int32 = 3512
	MNESourceSpaceSelection      int32 = 3513
	MNESourceSpaceNUse           int32 = 3514
	MNESourceSpaceNearest        int32 = 3515
	MNESourceSpaceNearestDist    int32 = 3516
	MNESourceSpaceID             int32 = 3517
	MNESourceSpaceType           int32 = 3518
	MNESourceSpaceVertices       int32 = 3519
	MNEForwardSolution           int32 = 3520
	MNESourceOrientation         int32 = 3521
	MNEIncludedMethods           int32 = 3522
	MNEForwardSolutionGrad       int32 = 3523
	MNECovKind                   int32 = 3530
	MNECovDim                    int32 = 3531
	MNECov                       int32 = 3532
	MNECovDiag                   int32 = 3533
	MNECovEigenvalues            int32 = 3534
	MNECovEigenvectors           int32 = 3535
	MNECovNFree                  int32 = 3536
	MNECovMethod                 int32 = 3537
	MNECovScore                  int32 = 3538
	MNEInverseLeads              int32 = 3540
	MNEInverseFields             int32 = 3541
	MNEInverseSing               int32 = 3542
	MNEPriorsUsed                int32 = 3543
	MNEInverseFull               int32 = 3544
	MNEInverseSourceOrientations int32 = 3545
	MNEInverseLeadsWeighted      int32 = 3546
	MNEInverseSourceUnit         int32 = 3547
	MNEEnvWorkingDir             int32 = 3550
	MNEEnvCommandLine            int32 = 3551
	MNEExternalBigEndian         int32 = 3552
	MNEExternalLittleEndian      int32 = 3553
	MNEProjItemActive            int32 = 3560
	MNEEventList                 int32 = 3561
	MNEHemi                      int32 = 3562
	MNEDataSkipNop               int32 = 3563
	MNEOrigChInfo                int32 = 3564
	MNEEventTriggerMask          int32 = 3565
	MNEEventComments             int32 = 3566
	MNECustomRef                 int32 = 3567
	MNEBaselineMin               int32 = 3568
	MNEBaselineMax               int32 = 3569
	MNECTFCompKind               int32 = 3580
	MNECTFCompData               int32 = 3581
	MNECTFCompCalibrated         int32 = 3582
	MNEDerivationData            int32 = 3585
	MNESourceSpaceNTri           int32 = 3590
	MNESourceSpaceTriangles      int32 = 3591
	MNESourceSpaceNUseTri        int32 = 3592
	MNESourceSpaceUseTriangles   int32 = 3593
	MNESourceSpaceNNeighbors     int32 = 3594
	MNESourceSpaceNeighbors      int32 = 3595
	MNESourceSpaceDist           int32 = 3599
	MNESourceSpaceDistLimit      int32 = 3600
	MNESourceSpaceMRIFile        int32 = 3598
	MNEKitSystemID               int32 = 3612
	MNEEpochsSelection           int32 = 3800
	MNEEpochsDropLog             int32 = 3801
	MNEEpochsRejectFlat          int32 = 3802
	MNEEpochsRawSFreq            int32 = 3803
)

// Block kinds (the int32 payload of BlockStart/BlockEnd tags).
const (
	BlockRoot               int32 = 999
	BlockMeas               int32 = 100
	BlockMeasInfo           int32 = 101
	BlockRawData            int32 = 102
	BlockProcessedData      int32 = 103
	BlockEvoked             int32 = 104
	BlockAspect             int32 = 105
	BlockSubject            int32 = 106
	BlockIsotrak            int32 = 107
	BlockHPIMeas            int32 = 108
	BlockHPIResult          int32 = 109
	BlockHPICoil            int32 = 110
	BlockProject            int32 = 111
	BlockContinuousData     int32 = 112
	BlockChInfo             int32 = 113
	BlockVoid               int32 = 114
	BlockEvents             int32 = 115
	BlockIndex              int32 = 116
	BlockDacqPars           int32 = 117
	BlockRef                int32 = 118
	BlockIASRawData         int32 = 119
	BlockIASAspect          int32 = 120
	BlockHPISubsystem       int32 = 121
	BlockDevice             int32 = 124
	BlockHelium             int32 = 125
	BlockChannelInfo        int32 = 126
	BlockMRI                int32 = 200
	BlockSphere             int32 = 300
	BlockBEM                int32 = 310
	BlockBEMSurf            int32 = 311
	BlockConductorModel     int32 = 312
	BlockProj               int32 = 313
	BlockProjItem           int32 = 314
	BlockMNE                int32 = 350
	BlockMNESourceSpace     int32 = 351
	BlockMNEForwardSolution int32 = 352
	BlockMNEParentMRIFile   int32 = 353
	BlockMNEParentMeasFile  int32 = 354
	BlockMNECov             int32 = 355
	BlockMNEInverseSolution int32 = 356
	BlockMNENamedMatrix     int32 = 357
	BlockMNEEnv             int32 = 358
	BlockMNEBadChannels     int32 = 359
	BlockMNEVertexMap       int32 = 360
	BlockMNEEvents          int32 = 361
	BlockMNEMorphMap        int32 = 362
	BlockMNESurfaceMap      int32 = 363
	BlockMNESurfaceMapGroup int32 = 364
	BlockMNECTFComp         int32 = 370
	BlockMNECTFCompData     int32 = 371
	BlockMNEDerivations     int32 = 372
	BlockMNEEpochs          int32 = 373
	BlockMNEICA             int32 = 374
	BlockDataCorrection     int32 = 500
	BlockChannelDecoupler   int32 = 501
	BlockSSSInfo            int32 = 502
	BlockSSSCal             int32 = 503
	BlockSSSStInfo          int32 = 504
	BlockSSSBases           int32 = 505
	BlockIAS                int32 = 510
	BlockProcessingHistory  int32 = 900
	BlockProcessingRecord   int32 = 901
	BlockMNEAnnotations     int32 = 3810
	BlockMNEMetadata        int32 = 3811
)

// Values of the next field of a tag header.
const (
	NextSeq  int32 = 0  // the next tag follows immediately
	NextNone int32 = -1 // no next tag
)

// Reference roles (RefRole) for split files.
const (
	RolePrevFile int32 = 1
	RoleNextFile int32 = 2
)

var kindNames = map[int32]string{
	FileID: "file_id", DirPointer: "dir_pointer", Dir: "dir", BlockID: "block_id",
	BlockStart: "block_start", BlockEnd: "block_end", FreeList: "free_list",
	Nop: "nop", ParentFileID: "parent_file_id", ParentBlockID: "parent_block_id",
	NChan: "nchan", SFreq: "sfreq", ChInfo: "ch_info", MeasDate: "meas_date",
	FirstSample: "first_sample", LastSample: "last_sample", DigPoint: "dig_point",
	Lowpass: "lowpass", Highpass: "highpass", BadChs: "bad_chs",
	CoordTrans: "coord_trans", DataBuffer: "data_buffer", DataSkip: "data_skip",
	DataSkipSamp: "data_skip_samp", Comment: "comment", Nave: "nave",
	LineFreq: "line_freq", Epoch: "epoch", RefFileName: "ref_file_name",
	RefFileNum: "ref_file_num", RefRole: "ref_role", MNECov: "mne_cov",
	MNEEventList: "mne_event_list", ProjItemVectors: "proj_item_vectors",
	MNEChNameList: "mne_ch_name_list", DigString: "dig_string",
}

// KindName returns a readable name for a tag kind, for error messages.
func KindName(kind int32) string {
	if n, ok := kindNames[kind]; ok {
		return fmt.Sprintf("%d (%s)", kind, n)
	}
	return fmt.Sprintf("%d", kind)
}
