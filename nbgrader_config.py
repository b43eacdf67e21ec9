"""The course, as nbgrader sees it: masters in solutions/, student releases in labs/."""
import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "dl-labs"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "labs"

# nbgrader's 30 s per-cell default is too short for the labs' (small) training runs.
c.Execute.timeout = 300
# Kernels forward C-level stderr (TensorFlow's absl logs, which ignore TF_CPP_MIN_LOG_LEVEL
# before absl initialises) into whichever cell is running, and nbgrader scores any stderr in a
# graded cell as zero. Graded kernels keep that noise on the kernel's own stderr instead.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--IPKernelApp.capture_fd_output=False",
]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Not nbgrader's: the students' public repository, which `python -m autograder publish DIR` writes
# (labs/, data/, a README with the Colab links, licences; never solutions/ or tests/). Every
# Open-in-Colab link (README and each lab's title cell) and every download from GitHub points
# there; `python -m autograder release --check` fails when a link disagrees with these two.
STUDENT_REPOSITORY = "dl-course-labs/dl-labs-student"  # GitHub owner/name
STUDENT_BRANCH = "main"
