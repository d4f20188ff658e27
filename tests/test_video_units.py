"""Pure functions of the video path: sampling plans, shots, tracks and segments."""
import numpy as np

from visearch.indexer.records import Face, FrameRecord
from visearch.indexer.tracking import link_tracks
from visearch.indexer.video import plan_samples, shots_from_cuts
from visearch.people.clips import Span, build_segments


def test_plan_takes_each_shot_start_and_one_frame_per_second():
    times = [i / 10 for i in range(50)]  # 5 s at 10 fps
    plan = plan_samples(times, cut_frames=[23], rate=1.0)
    assert [(p.time, p.shot, p.shot_start) for p in plan] == [
        (0.0, 0, True), (1.0, 0, False), (2.0, 0, False),
        (2.3, 1, True), (3.3, 1, False), (4.3, 1, False),
    ]


def test_plan_follows_time_stamps_not_frame_counts():
    # Variable frame rate: a burst of frames, then a two-second gap, then a slow stretch.
    times = [0.0, 0.04, 0.08, 0.12, 2.1, 2.6, 3.05, 4.2]
    plan = plan_samples(times, cut_frames=[], rate=1.0)
    assert [p.time for p in plan] == [0.0, 2.1, 3.05, 4.2]


def test_shots_span_cut_to_cut_and_end_at_the_duration():
    shots = shots_from_cuts([0.0, 1.0, 2.0, 3.0], [2], duration=4.0)
    assert [(s.start, s.end) for s in shots] == [(0.0, 2.0), (2.0, 4.0)]


def _face(x: float, person: int) -> Face:
    vector = np.zeros(8, np.float32)
    vector[person] = 1.0
    return Face((x, 10, x + 50, 60), 1.0, 50.0, 100.0, vector)


def test_tracks_follow_each_person_and_restart_at_a_cut():
    frames = [
        FrameRecord(0.0, 0, True, 640, 360, faces=[_face(10, 0), _face(300, 1)]),
        FrameRecord(1.0, 0, False, 640, 360, faces=[_face(320, 1), _face(20, 0)]),  # order swapped
        FrameRecord(2.0, 0, False, 640, 360, faces=[_face(330, 0)]),  # person 0 moved far: identity wins
        FrameRecord(3.0, 1, True, 640, 360, faces=[_face(330, 0)]),  # same place, new shot: new track
    ]
    tracks = link_tracks(frames, "euclidean", 0.5)
    spans = sorted((t.shot, t.start, t.end, len(t.faces)) for t in tracks)
    assert spans == [(0, 0.0, 1.0, 2), (0, 0.0, 2.0, 3), (1, 3.0, 3.0, 1)]
    assert frames[1].faces[1].track == frames[0].faces[0].track


def test_near_duplicate_samples_extend_a_track():
    frame = FrameRecord(4.0, 0, True, 640, 360, faces=[_face(10, 0)])
    frame.until = 7.0
    [track] = link_tracks([frame], "euclidean", 0.5)
    assert (track.start, track.end) == (4.0, 7.0)


def span(start, end, shot=0, shot_start=0.0, shot_end=100.0, video=1, score=0.5, item=None):
    return Span(video, start, end, shot, shot_start, shot_end, score, item)


def test_segments_pad_but_stop_at_cuts():
    [segment] = build_segments([span(10, 12, shot_start=10, shot_end=12.2)], pad=0.5)
    assert (segment.start, segment.end) == (10, 12.2)


def test_segments_merge_across_small_gaps_and_cuts_but_not_big_gaps():
    segments = build_segments(
        [span(0, 3, shot=0, shot_end=4), span(5, 6, shot=1, shot_start=4, shot_end=9, score=0.9, item=7),
         span(20, 21, shot=2, shot_start=15)],
        gap=2.0, pad=0.5,
    )
    assert [(s.start, s.end, s.shots) for s in segments] == [(0, 6.5, [0, 1]), (19.5, 21.5, [2])]
    assert segments[0].score == 0.9 and segments[0].thumbnail_item == 7


def test_overlapping_spans_of_two_faces_become_one_segment():
    [segment] = build_segments([span(0, 5), span(2, 3)], gap=0.0, pad=0.0)
    assert (segment.start, segment.end) == (0, 5)


def test_a_single_frame_appearance_is_padded_to_the_sampling_resolution():
    [segment] = build_segments([span(7.0, 7.0)], pad=0.5)
    assert (segment.start, segment.end) == (6.5, 7.5)


def test_segments_stay_per_video_and_sorted():
    segments = build_segments([span(5, 6, video=2), span(1, 2, video=1), span(0, 1, video=2)], gap=0.5, pad=0)
    assert [(s.video, s.start) for s in segments] == [(1, 1), (2, 0), (2, 5)]


def test_a_still_face_reuses_its_identity_vector_until_it_changes_or_ages():
    from visearch.indexer.records import Face
    from visearch.indexer.tracking import REUSE_MAX_AGE, reusable

    signature = np.ones(4, np.float32) / 2
    before = Face((100, 100, 200, 200), 1.0, 100, 80, np.ones(3, np.float32), signature=signature)
    assert reusable((105, 102, 205, 203), 1.0, signature, [before]) is before
    assert reusable((300, 100, 400, 200), 1.0, signature, [before]) is None  # moved away
    turned = np.array([0.5, -0.5, 0.5, -0.5], np.float32)
    assert reusable((105, 102, 205, 203), 1.0, turned, [before]) is None  # looks different now
    assert reusable((105, 102, 205, 203), 0.2, signature, [before]) is None  # the detector is less sure
    before.reused = REUSE_MAX_AGE
    assert reusable((105, 102, 205, 203), 1.0, signature, [before]) is None  # computed afresh now and then
    assert reusable((105, 102, 205, 203), 1.0, None, [before]) is None
